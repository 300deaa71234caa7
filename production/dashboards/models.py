"""Per-day sums that the line dashboard reads instead of the raw ledger and demand.

One row per (product, location, day) of the stock ledger and per (product, day) of the
demand, kept equal to the raw tables by PostgreSQL statement triggers (`flows_sql.py`):
every writer, the ORM, `production.bulk` or a builder's `INSERT ... SELECT`, updates them
in its own transaction, set-based (one upsert per statement, not per row). A writer that
turns the triggers off (`session_replication_role = replica`) rebuilds them after
(`manage.py rebuild_daily_flows`). The day is the calendar day in `TIME_ZONE` when the
triggers were installed; changing `TIME_ZONE` needs a rebuild. On SQLite (the embedded
profile) there are no triggers: the dashboard reads the raw tables there.

Registered in the `production` app by `ProductionConfig`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models

from production.models import Location, Product

SUM: dict[str, Any] = {"max_digits": 18, "decimal_places": 3, "default": Decimal("0")}


class DailyStockFlow(models.Model):
    """The sum of one day's stock moves of a product at a location."""

    product = models.ForeignKey(
        Product, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    location = models.ForeignKey(
        Location, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    day = models.DateField()
    quantity = models.DecimalField(**SUM)
    moves = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # On PostgreSQL the index also carries the sums (INCLUDE, migration 0012/0014),
            # so the dashboard's reads are index-only scans; SQLite has no such indexes.
            models.UniqueConstraint(
                fields=["product", "location", "day"], name="daily_stock_flow_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id} {self.day}: {self.quantity}"


class DailyDemand(models.Model):
    """One day's demand of a product (by `occurred_at`), and what Pullboard served of it.

    `processed*` and `backordered` count only events that Pullboard processed after it
    stored them (`processed_at` no earlier than a minute before `created_at`): an event stored as already served (a
    history import) says nothing about this plant's stock.
    """

    product = models.ForeignKey(
        Product, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    day = models.DateField()
    demanded = models.DecimalField(**SUM)
    events = models.IntegerField(default=0)
    processed = models.DecimalField(**SUM)
    processed_events = models.IntegerField(default=0)
    backordered = models.DecimalField(**SUM)

    class Meta:
        constraints = [
            # Covering on PostgreSQL, as above.
            models.UniqueConstraint(fields=["product", "day"], name="daily_demand_unique")
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.day}: {self.demanded}"
