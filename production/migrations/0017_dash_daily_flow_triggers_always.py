from django.db import migrations

from production.dashboards import flows_sql


def always(apps, schema_editor):  # type: ignore[no-untyped-def]
    """The sums' triggers fire under `session_replication_role = replica` too (bulk loaders)."""
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for table, target, _, _ in flows_sql.FLOWS:
                for statement in flows_sql.always_sql(table, target):
                    cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("production", "0016_dash_covering_daily_sums"),
    ]

    operations = [migrations.RunPython(always, migrations.RunPython.noop)]
