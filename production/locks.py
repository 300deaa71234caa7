"""Row locks, one helper per locked thing, always in primary-key order.

Lock order across the code base: production lines, then products (a bought-in
component's push netting), then stock levels (parents before components, as the BOM
is walked), then kanban cards, then work orders.
Two paths that follow it never deadlock.

Rules that span rows have one row that guards them, locked before the rows they
count: a line's WIP limit its line (`lock_lines`), a loop's card count its stock
level (one per product and location, as the loop), one receipt per order the
order itself. A line is locked `FOR NO KEY UPDATE`, which does not conflict with
the `FOR KEY SHARE` that PostgreSQL's deferred foreign-key checks take at commit:
the demand engine never locks a line, but the work orders it inserts reference
one, and a plain `FOR UPDATE` on the line would make the engine's commit wait for
a transaction that itself waits for the engine's stock levels.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.db.models.functions import Mod

from production.models import DemandEvent, Product, ProductionLine, StockLevel, WorkOrder


def lock_lines(ids: Iterable[int]) -> QuerySet[ProductionLine]:
    """The lines whose rules span rows (WIP limit), locked first, in pk order."""
    return (
        ProductionLine.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=list(ids))
        .order_by("pk")
    )


def lock_products(ids: Iterable[int]) -> list[int]:
    """Products whose push netting two lines share (a bought-in component), in pk order.
    `FOR NO KEY UPDATE`, like a line: rows that reference a product still commit."""
    return list(
        Product.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=list(ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def lock_stock_levels(ids: Iterable[int]) -> QuerySet[StockLevel]:
    return (
        StockLevel.objects.select_for_update(of=("self",)).filter(pk__in=list(ids)).order_by("pk")
    )


def lock_stock_levels_of(pairs: Iterable[tuple[int, int]]) -> QuerySet[StockLevel]:
    """The levels of exactly these (product_id, location_id) pairs, locked in pk order."""
    match = reduce(or_, (Q(product_id=p, location_id=loc) for p, loc in sorted(pairs)), Q(pk=None))
    return StockLevel.objects.select_for_update(of=("self",)).filter(match).order_by("pk")


def lock_work_orders(ids: Iterable[int]) -> QuerySet[WorkOrder]:
    return WorkOrder.objects.select_for_update(of=("self",)).filter(pk__in=list(ids)).order_by("pk")


def claim_unprocessed_demand(
    limit: int, *, partition: int | None = None, partitions: int = 1
) -> QuerySet[DemandEvent]:
    """Unprocessed events that no other worker holds; skipped rows are another worker's batch.

    With a `partition`, only the events of products whose id modulo `partitions` is it.
    """
    pending = DemandEvent.objects.filter(processed_at__isnull=True)
    if partition is not None:
        pending = pending.alias(partition=Mod("product_id", partitions)).filter(partition=partition)
    return (
        pending.select_for_update(of=("self",), skip_locked=True)
        .select_related("product")  # read with the claim; only the events are locked
        .order_by("pk")[:limit]
    )
