"""The database cache's table, where rate limits are counted when REDIS_URL is unset, so
that every process serving the site shares them. createcachetable creates what the CACHES
setting names and skips tables that exist; nothing to undo."""

from django.core.management import call_command
from django.db import migrations


def cache_table_create(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0008_mail_event_kind")]
    operations = [migrations.RunPython(cache_table_create, migrations.RunPython.noop)]
