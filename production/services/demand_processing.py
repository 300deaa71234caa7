"""Demand processing: stored events consume stock in batches, exactly once in effect.

Recording demand is `production.services.demand`; this drains what it stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from production.bulk import bulk_update_rows
from production.locks import claim_unprocessed_demand
from production.models import DemandStatus
from production.services.stock import LedgerBatch, ensure_stock_levels


def demand_partitions() -> int:
    return max(1, int(settings.PULLBOARD["DEMAND_PARTITIONS"]))


def demand_partition_of(product_id: int) -> int:
    """The drain partition of a product's demand (see `demand_process_pending`)."""
    return product_id % demand_partitions()


@transaction.atomic
def demand_process_pending(*, limit: int = 200, partition: int | None = None) -> int:
    """Process up to `limit` unprocessed events in one transaction; returns how many.

    With a `partition`, only the events of that partition's products (`demand_partition_of`):
    drains of different partitions lock disjoint stock levels and cards (demand consumes
    only its own product's stock), so they run side by side instead of waiting on each
    other's locks. Without one, any unprocessed event (the reconciler's catch-all drain).

    Each event consumes its product's stock where it names (line-side consumption), else
    in the product's supermarket; what is not there is backordered. The events' effects and their `processed_at` commit together, so
    a second run finds nothing to do.

    On PostgreSQL this transaction commits without waiting for its WAL flush
    (`synchronous_commit = off`, this transaction only). That is safe here and only
    here: a crash can lose the last few processing commits *whole* (effects and
    `processed` mark together), and the reconciler then processes those events again.
    The events themselves were stored by a synchronous commit before anyone was told.
    """
    events = list(
        claim_unprocessed_demand(limit, partition=partition, partitions=demand_partitions())
    )
    if not events:
        return 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    products = {e.product_id: e.product for e in events}
    place = {e.pk: e.location_id or products[e.product_id].supermarket_id for e in events}
    levels = ensure_stock_levels({(e.product_id, place[e.pk]) for e in events})
    batch = LedgerBatch()
    for event in events:
        level = levels[(event.product_id, place[event.pk])]
        short = batch.consume(level, event.quantity, demand_event_id=event.pk)
        event.backordered_quantity = event.open_backorder_quantity = short
        event.status = DemandStatus.BACKORDERED if short > 0 else DemandStatus.FULFILLED
    batch.write()
    # Stamped last, so `processed_at` is when the effects (signals, work orders) were
    # written: the commit that makes them visible follows at once.
    now = timezone.now()
    for event in events:
        event.processed_at = now
    bulk_update_rows(
        events, ["backordered_quantity", "open_backorder_quantity", "status", "processed_at"]
    )
    return len(events)
