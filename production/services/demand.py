"""Demand: stored first, processed later in batches, exactly once in effect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from production.bulk import bulk_update_rows
from production.errors import DomainError
from production.locks import claim_unprocessed_demand
from production.models import DemandEvent, DemandStatus, Product
from production.services.stock import LedgerBatch, ensure_stock_levels


@dataclass(frozen=True)
class DemandInput:
    product: Product
    quantity: Decimal
    occurred_at: datetime
    external_id: str
    source: str = "erp"


@dataclass(frozen=True)
class RecordedDemand:
    event: DemandEvent
    created: bool


def _validate(item: DemandInput) -> None:
    if Decimal(item.quantity) <= 0:
        raise DomainError("Quantity must be greater than zero.", field="quantity")
    if not item.external_id.strip():
        raise DomainError(
            "An external id is required: it makes a repeat harmless.", field="external_id"
        )
    if not item.source.strip():
        raise DomainError("A source is required.", field="source")


def _stored(keys: set[tuple[str, str]]) -> dict[tuple[str, str], DemandEvent]:
    found: dict[tuple[str, str], DemandEvent] = {}
    for source in {s for s, _ in keys}:
        ids = [e for s, e in keys if s == source]
        for event in DemandEvent.objects.filter(source=source, external_id__in=ids):
            found[(event.source, event.external_id)] = event
    return found


@transaction.atomic
def demand_record_many(items: Sequence[DemandInput]) -> list[RecordedDemand]:
    """Store demand events; a repeated (source, external_id) returns the stored event.

    Processing is queued once the events are committed.
    """
    for item in items:
        _validate(item)
    keys = {(i.source, i.external_id) for i in items}
    before = _stored(keys)
    new: dict[tuple[str, str], DemandEvent] = {}
    for item in items:
        key = (item.source, item.external_id)
        if key not in before and key not in new:
            new[key] = DemandEvent(
                product=item.product,
                quantity=Decimal(item.quantity),
                occurred_at=item.occurred_at,
                source=item.source,
                external_id=item.external_id,
            )
    if new:
        # A concurrent request with the same ids loses the race quietly; its rows are re-read.
        DemandEvent.objects.bulk_create(list(new.values()), ignore_conflicts=True)
        transaction.on_commit(_kick_processing, robust=True)
    stored = {**before, **_stored(set(new))}
    seen: set[tuple[str, str]] = set()
    results = []
    for item in items:
        key = (item.source, item.external_id)
        results.append(RecordedDemand(stored[key], created=key in new and key not in seen))
        seen.add(key)
    return results


def demand_record(
    *,
    product: Product,
    quantity: Decimal,
    occurred_at: datetime | None = None,
    external_id: str,
    source: str = "erp",
) -> RecordedDemand:
    item = DemandInput(
        product, Decimal(quantity), occurred_at or timezone.now(), external_id, source
    )
    return demand_record_many([item])[0]


def _kick_processing() -> None:
    from production.tasks import demand_processing_kick

    demand_processing_kick()


@transaction.atomic
def demand_process_pending(*, limit: int = 200) -> int:
    """Process up to `limit` unprocessed events in one transaction; returns how many.

    Each event consumes its product's supermarket stock; what is not there is
    backordered. The events' effects and their `processed_at` commit together, so
    a second run finds nothing to do.
    """
    events = list(claim_unprocessed_demand(limit))
    if not events:
        return 0
    products = Product.objects.in_bulk({e.product_id for e in events})
    levels = ensure_stock_levels({(p.pk, p.supermarket_id) for p in products.values()})
    batch = LedgerBatch()
    now = timezone.now()
    for event in events:
        product = products[event.product_id]
        level = levels[(product.pk, product.supermarket_id)]
        short = batch.consume(level, event.quantity, demand_event_id=event.pk)
        event.backordered_quantity = event.open_backorder_quantity = short
        event.status = DemandStatus.BACKORDERED if short > 0 else DemandStatus.FULFILLED
        event.processed_at = now
    bulk_update_rows(
        events, ["backordered_quantity", "open_backorder_quantity", "status", "processed_at"]
    )
    batch.write()
    return len(events)
