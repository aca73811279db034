"""Each delivery gets a random key: what its browser link, Message-ID and ESP metadata carry
instead of the database id. Existing rows get one each (in SQL on PostgreSQL)."""

import uuid

from django.db import migrations, models


def fill_keys(apps, schema_editor):
    Delivery = apps.get_model("digest", "Delivery")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("UPDATE digest_delivery SET key = gen_random_uuid() WHERE key IS NULL")
        return
    for pk in Delivery.objects.filter(key__isnull=True).values_list("pk", flat=True).iterator():
        Delivery.objects.filter(pk=pk).update(key=uuid.uuid4())


class Migration(migrations.Migration):

    dependencies = [
        ("digest", "0003_deliveryitem_delivery_n_distinct"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="key",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="delivery",
            name="key",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
