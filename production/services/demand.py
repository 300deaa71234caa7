"""Demand: stored first, processed later in batches, exactly once in effect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from production.bulk import bulk_update_rows
from production.errors import DomainError
from production.locks import claim_unprocessed_demand
from production.models import DemandEvent, DemandStatus, Product
from production.services.stock import LedgerBatch, ensure_stock_levels
from production.webhooks.events import emit_demand_received


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


_INSERT_COLUMNS = {
    "id",
    "product_id",
    "quantity",
    "occurred_at",
    "source",
    "external_id",
    "status",
    "backordered_quantity",
    "open_backorder_quantity",
    "processed_at",
    "created_at",
}


def _insert_fits() -> bool:
    """The one-statement insert knows every column of the table (else the ORM inserts)."""
    return {f.column for f in DemandEvent._meta.concrete_fields} == _INSERT_COLUMNS


def _insert_postgres(
    new: dict[tuple[str, str], DemandEvent],
) -> dict[tuple[str, str], DemandEvent]:
    """Insert new events in one statement (unnest, ON CONFLICT DO NOTHING, RETURNING).

    Django's bulk_create spends more on preparing rows than PostgreSQL on storing
    them; at ERP batch sizes this is several times faster. Returns the rows that
    were inserted: a key already stored, or stored meanwhile by a concurrent request,
    is skipped (and re-read by the caller).
    """
    meta = DemandEvent._meta
    if not new:
        return {}
    events = list(new.values())
    now = timezone.now()
    sql = (
        f'INSERT INTO "{meta.db_table}" (product_id, quantity, occurred_at, source, '
        "external_id, status, backordered_quantity, open_backorder_quantity, created_at) "
        "SELECT p, q, o, s, e, %s, 0, 0, %s FROM unnest("
        "%s::bigint[], %s::numeric[], %s::timestamptz[], %s::text[], %s::text[]"
        ") AS v(p, q, o, s, e) "
        "ON CONFLICT (source, external_id) DO NOTHING RETURNING id, source, external_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                DemandStatus.RECEIVED,
                now,
                [e.product_id for e in events],
                [e.quantity for e in events],
                [e.occurred_at for e in events],
                [e.source for e in events],
                [e.external_id for e in events],
            ],
        )
        rows = cursor.fetchall()
    inserted: dict[tuple[str, str], DemandEvent] = {}
    for pk, source, external_id in rows:
        event = new[(source, external_id)]
        event.pk = pk
        event.created_at = now
        event._state.adding = False
        event._state.db = connection.alias
        inserted[(source, external_id)] = event
    return inserted


@transaction.atomic
def demand_record_many(items: Sequence[DemandInput]) -> list[RecordedDemand]:
    """Store demand events; a repeated (source, external_id) returns the stored event.

    Processing is queued once the events are committed.
    """
    for item in items:
        _validate(item)
    keys = {(i.source, i.external_id) for i in items}
    # On PostgreSQL the insert itself tells which keys were new (ON CONFLICT DO NOTHING);
    # elsewhere the stored ones are read first.
    postgres = connection.vendor == "postgresql" and _insert_fits()
    before = {} if postgres else _stored(keys)
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
    if postgres:
        created = _insert_postgres(new)
        # Keys stored before, or by a concurrent request that won the race, are re-read.
        stored = (
            {**created, **_stored(keys - set(created))} if len(created) < len(keys) else created
        )
    else:
        if new:
            # A concurrent request with the same ids loses the race quietly; its rows are re-read.
            DemandEvent.objects.bulk_create(list(new.values()), ignore_conflicts=True)
        stored = {**before, **_stored(set(new))}
        created = new
    if created:
        transaction.on_commit(_kick_processing, robust=True)
    emit_demand_received(
        [stored[k] for k in created], {e.product_id: e.product.sku for e in created.values()}
    )
    seen: set[tuple[str, str]] = set()
    results = []
    for item in items:
        key = (item.source, item.external_id)
        results.append(RecordedDemand(stored[key], created=key in created and key not in seen))
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

    On PostgreSQL this transaction commits without waiting for its WAL flush
    (`synchronous_commit = off`, this transaction only). That is safe here and only
    here: a crash can lose the last few processing commits *whole* (effects and
    `processed` mark together), and the reconciler then processes those events again.
    The events themselves were stored by a synchronous commit before anyone was told.
    """
    events = list(claim_unprocessed_demand(limit))
    if not events:
        return 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
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
