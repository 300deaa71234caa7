"""The covering indexes of 0011 and 0012 stay on PostgreSQL; the models declare plain ones,
so the embedded SQLite profile (which has no INCLUDE) keeps plain indexes and a quiet
system check. On SQLite, 0012's covering unique constraints were never created: create
the plain ones here."""

from django.db import migrations, models

PLAIN_UNIQUE = [
    ("dailydemand", models.UniqueConstraint(fields=("product", "day"), name="daily_demand_unique")),
    (
        "dailystockflow",
        models.UniqueConstraint(
            fields=("product", "location", "day"), name="daily_stock_flow_unique"
        ),
    ),
]


def plain_unique_elsewhere(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        for model_name, constraint in PLAIN_UNIQUE:
            model = apps.get_model("production", model_name)
            columns = [model._meta.get_field(f).column for f in constraint.fields]
            schema_editor.execute(
                f"CREATE UNIQUE INDEX {constraint.name} ON {model._meta.db_table} "
                f"({', '.join(columns)})"
            )


def drop_plain_unique_elsewhere(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        for _, constraint in PLAIN_UNIQUE:
            schema_editor.execute(f"DROP INDEX IF EXISTS {constraint.name}")


class Migration(migrations.Migration):
    dependencies = [
        ("production", "0017_dash_daily_flow_triggers_always"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name="dailydemand", name="daily_demand_unique"),
                migrations.RemoveConstraint(
                    model_name="dailystockflow", name="daily_stock_flow_unique"
                ),
                migrations.RemoveIndex(model_name="workorder", name="work_order_line_created_idx"),
                migrations.RemoveIndex(model_name="workorder", name="work_order_line_released_idx"),
                migrations.RemoveIndex(model_name="workorder", name="work_order_line_done_idx"),
                migrations.AddIndex(
                    model_name="workorder",
                    index=models.Index(
                        fields=["line", "created_at"], name="work_order_line_created_idx"
                    ),
                ),
                migrations.AddIndex(
                    model_name="workorder",
                    index=models.Index(
                        fields=["line", "released_at"], name="work_order_line_released_idx"
                    ),
                ),
                migrations.AddIndex(
                    model_name="workorder",
                    index=models.Index(
                        fields=["line", "completed_at"], name="work_order_line_done_idx"
                    ),
                ),
                *[
                    migrations.AddConstraint(model_name=model_name, constraint=constraint)
                    for model_name, constraint in PLAIN_UNIQUE
                ],
            ],
            database_operations=[
                migrations.RunPython(plain_unique_elsewhere, drop_plain_unique_elsewhere)
            ],
        )
    ]
