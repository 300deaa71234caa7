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


SECONDS: dict[str, Any] = {"max_digits": 24, "decimal_places": 6, "default": Decimal("0")}


class DailyLineOrders(models.Model):
    """One day's work orders of a product on a line: units signalled (created), released,
    cancelled after their release, and completed on that day; and of the orders done that
    day, their counts and their lead, cycle and process times summed in seconds (exact
    numerics), with the shortest and longest lead time.

    Done orders are never changed again, so the figures of a past day stay fixed. The
    extremes only grow (a deleted order leaves them as bounds; `rebuild_daily_flows`
    recomputes them). Keyed by product too, so writers of different products never wait
    for one row.
    """

    line = models.ForeignKey(
        "production.ProductionLine",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    product = models.ForeignKey(
        Product, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    day = models.DateField()
    signalled = models.DecimalField(**SUM)
    released = models.DecimalField(**SUM)
    dropped = models.DecimalField(**SUM, help_text="Cancelled after their release.")
    completed = models.DecimalField(**SUM)
    completed_from_wip = models.DecimalField(**SUM, help_text="Completed after a release.")
    done_orders = models.IntegerField(default=0)
    lead_seconds = models.DecimalField(**SECONDS)
    lead_min_seconds = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    lead_max_seconds = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    cycle_orders = models.IntegerField(default=0)
    cycle_seconds = models.DecimalField(**SECONDS)
    process_orders = models.IntegerField(default=0)
    process_seconds = models.DecimalField(**SECONDS)
    wip_unit_seconds = models.DecimalField(
        **SECONDS, help_text="Units times seconds from release to completion."
    )

    class Meta:
        constraints = [
            # Covering on PostgreSQL (the migration adds INCLUDE), read index-only.
            models.UniqueConstraint(
                fields=["line", "day", "product"], name="daily_line_orders_unique"
            )
        ]

    def __str__(self) -> str:
        return f"line {self.line_id} product {self.product_id} {self.day}"
