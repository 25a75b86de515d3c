"""PostgreSQL: trigram (GIN) indexes for the fuzzy name search of the customer lists
(``name`` / ``short_name`` / ``key_number`` ``icontains``, i.e. ``UPPER(col) LIKE UPPER('%…%')``).
Other databases: nothing (SQLite scans; see docs/benchmarks.md)."""

from django.db import migrations

COLUMNS = ("name", "short_name", "key_number")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS customers_customer_{column}_trgm "  # noqa: S608 - fixed names
            f"ON customers_customer USING gin (UPPER({column}::text) gin_trgm_ops)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS customers_customer_{column}_trgm")


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0002_process_approvals"),
    ]

    operations = [migrations.RunPython(forward, backward)]
