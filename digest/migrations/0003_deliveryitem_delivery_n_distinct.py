"""Tell PostgreSQL's planner that a delivery has a handful of items (about 20).

ANALYZE samples the table and, as it grows by a day's deliveries, under-counts the distinct
delivery ids: the planner then expects thousands of items per delivery and reads the whole
table to fetch one send batch's items. A fixed ratio (distinct ids = 5% of rows) keeps
those lookups on the index at any size. Nothing to do on SQLite.
"""

from django.db import migrations

SET = "ALTER TABLE digest_deliveryitem ALTER COLUMN delivery_id SET (n_distinct = -0.05)"
RESET = "ALTER TABLE digest_deliveryitem ALTER COLUMN delivery_id RESET (n_distinct)"


def run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return apply


class Migration(migrations.Migration):
    dependencies = [("digest", "0002_delivery_maybe_sent")]

    operations = [migrations.RunPython(run(SET), run(RESET))]
