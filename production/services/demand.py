"""Demand: stored first (here), processed later in batches (`demand_processing`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from production.errors import DomainError
from production.models import DemandEvent, DemandStatus, Location, Product
from production.webhooks.events import demand_received_subscribed, emit_demand_received


@dataclass(frozen=True)
class DemandInput:
    product: Product
    quantity: Decimal
    occurred_at: datetime
    external_id: str
    source: str = "erp"
    location: Location | None = None  # line-side consumption; none: the supermarket


@dataclass(frozen=True)
class DemandBySku:
    """Demand as an ERP sends it: the product named by its SKU, the location by its code."""

    sku: str
    quantity: Decimal
    occurred_at: datetime
    external_id: str
    source: str = "erp"
    location: str | None = None


@dataclass(frozen=True)
class RecordedDemand:
    event: DemandEvent
    created: bool
    sku: str


class UnknownProducts(DomainError):
    """Some items name a SKU that no product has, or an archived product (which takes no
    new demand; a repeat of an event stored before it was archived is still harmless);
    nothing was stored."""

    def __init__(self, unknown: dict[int, str], archived: dict[int, str] | None = None) -> None:
        self.unknown = unknown  # item index -> SKU
        self.archived = archived or {}  # item index -> SKU of an archived product
        if unknown:
            first = next(iter(unknown.values()))
            super().__init__(f"No product has SKU {first!r}.", field="product", code="not_found")
        else:
            first = next(iter(self.archived.values()))
            super().__init__(archived_message(first), field="product", code="archived")


def archived_message(sku: str) -> str:
    return gettext("Product %(sku)s is archived: it takes no new demand.") % {"sku": sku}


def _refuse_archived(items: Sequence[DemandInput]) -> None:
    """New demand for an archived product is refused; a repeat of a stored event is not."""
    archived = {n: i for n, i in enumerate(items) if i.product.archived_at is not None}
    if not archived:
        return
    stored = _stored({(i.source, i.external_id) for i in archived.values()})
    refused = {
        n: i.product.sku for n, i in archived.items() if (i.source, i.external_id) not in stored
    }
    if refused:
        raise UnknownProducts({}, archived=refused)


def _validate(item: DemandInput | DemandBySku) -> None:
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
        stored = DemandEvent.objects.filter(source=source, external_id__in=ids)
        for event in stored.select_related("product", "location"):
            found[(event.source, event.external_id)] = event
    return found


# The columns the one-statement inserts write (the rest take their defaults).
_EVENT_COLUMNS = (
    "product_id, quantity, occurred_at, source, external_id, status, "
    "backordered_quantity, open_backorder_quantity, created_at"
)

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
    "location_id",  # optional: the intake by SKU writes it through the ORM path
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
    # In key order: two requests inserting overlapping keys wait on each other's rows
    # in the same order, so they cannot deadlock.
    events = [new[key] for key in sorted(new)]
    now = timezone.now()
    sql = (
        f'INSERT INTO "{meta.db_table}" ({_EVENT_COLUMNS}, location_id) '
        "SELECT p, q, o, s, e, %s, 0, 0, %s, l FROM unnest("
        "%s::bigint[], %s::numeric[], %s::timestamptz[], %s::text[], %s::text[], %s::bigint[]"
        ") AS v(p, q, o, s, e, l) "
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
                [e.location_id for e in events],  # line-side demand; none: the supermarket
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
    _refuse_archived(items)
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
                location=item.location,
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
        products = {e.product_id for e in created.values()}
        transaction.on_commit(partial(_kick_processing, products), robust=True)
    emit_demand_received(
        [stored[k] for k in created], {e.product_id: e.product.sku for e in created.values()}
    )
    seen: set[tuple[str, str]] = set()
    results = []
    for item in items:
        key = (item.source, item.external_id)
        event = stored[key]  # its product is loaded: the item's, or read with the event
        results.append(
            RecordedDemand(event, created=key in created and key not in seen, sku=event.product.sku)
        )
        seen.add(key)
    return results


def demand_record(
    *,
    product: Product,
    quantity: Decimal,
    occurred_at: datetime | None = None,
    external_id: str,
    source: str = "erp",
    location: Location | None = None,
) -> RecordedDemand:
    item = DemandInput(
        product, Decimal(quantity), occurred_at or timezone.now(), external_id, source, location
    )
    return demand_record_many([item])[0]


def demand_record_by_sku(items: Sequence[DemandBySku]) -> list[RecordedDemand]:
    """Store demand named by SKU, as `demand_record_many` does; the ERP intake's path.

    Raises `UnknownProducts` (and stores nothing) if any SKU names no product.

    On PostgreSQL one statement resolves the SKUs and inserts the new events. With
    nobody subscribed to `demand.received` and no transaction open, that statement
    is the whole write and commits on its own: it is atomic by itself, and saves
    the three round trips of BEGIN, a product lookup and COMMIT on every event an
    ERP sends one by one. With subscribers, the deliveries are stored in the same
    transaction as the events, as everywhere else.
    """
    for item in items:
        _validate(item)
    located = any(item.location for item in items)
    if connection.vendor != "postgresql" or not _insert_fits() or located:
        return _record_by_sku_orm(items)
    if connection.get_autocommit() and not demand_received_subscribed():
        return _record_by_sku_postgres(items, emit=False)
    with transaction.atomic():
        return _record_by_sku_postgres(items, emit=True)


def _record_by_sku_orm(items: Sequence[DemandBySku]) -> list[RecordedDemand]:
    with transaction.atomic():
        products = {p.sku: p for p in Product.objects.filter(sku__in={i.sku for i in items})}
        unknown = {n: i.sku for n, i in enumerate(items) if i.sku not in products}
        if unknown:
            raise UnknownProducts(unknown)
        codes = {i.location for i in items if i.location}
        places = {loc.code: loc for loc in Location.objects.filter(code__in=codes)}
        for code in codes - places.keys():
            raise DomainError(
                f"No location has code {code!r}.", field="location", code="unknown_location"
            )
        return demand_record_many(
            [
                DemandInput(
                    products[i.sku],
                    i.quantity,
                    i.occurred_at,
                    i.external_id,
                    i.source,
                    places[i.location] if i.location else None,
                )
                for i in items
            ]
        )


def _record_by_sku_postgres(items: Sequence[DemandBySku], *, emit: bool) -> list[RecordedDemand]:
    first: dict[tuple[str, str], DemandBySku] = {}
    for item in items:
        first.setdefault((item.source, item.external_id), item)
    now = timezone.now()
    rows, unknown_skus, archived_skus = _insert_by_sku(items, now)
    if unknown_skus or archived_skus:
        # An archived SKU is refused for the items whose event is not stored yet.
        stored_keys = set(_stored({(i.source, i.external_id) for i in items}))
        raise UnknownProducts(
            {n: i.sku for n, i in enumerate(items) if i.sku in unknown_skus},
            archived={
                n: i.sku
                for n, i in enumerate(items)
                if i.sku in archived_skus and (i.source, i.external_id) not in stored_keys
            },
        )
    created: dict[tuple[str, str], DemandEvent] = {}
    for pk, source, external_id, product_id in rows:
        item = first[(source, external_id)]
        event = DemandEvent(
            pk=pk,
            product_id=product_id,
            quantity=Decimal(item.quantity),
            occurred_at=item.occurred_at,
            source=source,
            external_id=external_id,
            status=DemandStatus.RECEIVED,
            backordered_quantity=Decimal(0),
            open_backorder_quantity=Decimal(0),
            created_at=now,
        )
        event._state.adding = False
        event._state.db = connection.alias
        created[(source, external_id)] = event
    stored = (
        {**created, **_stored(set(first) - set(created))} if len(created) < len(first) else created
    )
    if created:
        products = {e.product_id for e in created.values()}
        transaction.on_commit(partial(_kick_processing, products), robust=True)
    if emit:
        emit_demand_received(
            list(created.values()), {e.product_id: first[k].sku for k, e in created.items()}
        )
    results: list[RecordedDemand] = []
    seen: set[tuple[str, str]] = set()
    for item in items:
        key = (item.source, item.external_id)
        event = stored[key]
        fresh = key in created and key not in seen
        # A key stored by this request names its first item's product; an earlier one, its own.
        sku = first[key].sku if key in created else event.product.sku
        results.append(RecordedDemand(event, fresh, sku))
        seen.add(key)
    return results


def _insert_by_sku(
    new: Sequence[DemandBySku], now: datetime
) -> tuple[list[tuple[int, str, str, int]], set[str], set[str]]:
    """Insert events, resolving their SKUs in the same statement.

    Returns the inserted rows (id, source, external_id, product_id), the unknown SKUs
    and the archived SKUs of events not stored yet; if there is any of either, nothing
    is inserted. A key already stored is skipped;
    a key repeated in the list is inserted once, for its first item. Rows go in in key
    order, so two requests with overlapping keys cannot deadlock.
    """
    events = f'"{DemandEvent._meta.db_table}"'
    products = f'"{Product._meta.db_table}"'
    returning = "RETURNING id, source, external_id, product_id"
    with connection.cursor() as cursor:
        if len(new) == 1:  # the ERP that sends event by event: the simplest plan
            (item,) = new
            sql = (
                f"INSERT INTO {events} ({_EVENT_COLUMNS}) "
                f"SELECT id, %s, %s, %s, %s, %s, 0, 0, %s FROM {products} "
                "WHERE sku = %s AND archived_at IS NULL "
                f"ON CONFLICT (source, external_id) DO NOTHING {returning}"
            )
            params: list[Any] = [
                Decimal(item.quantity),
                item.occurred_at,
                item.source,
                item.external_id,
                DemandStatus.RECEIVED,
                now,
                item.sku,
            ]
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            if rows:
                return rows, set(), set()
            found = Product.objects.filter(sku=item.sku).values_list("archived_at", flat=True)
            if not found:
                return [], {item.sku}, set()
            if found[0] is not None:
                stored = _stored({(item.source, item.external_id)})
                return [], set(), set() if stored else {item.sku}
            # A repeat, or a product created since the INSERT looked: once more settles it.
            cursor.execute(sql, params)
            return cursor.fetchall(), set(), set()
        cursor.execute(
            f"WITH v AS (SELECT v.*, p.id AS product_id, p.archived_at FROM unnest("
            "%s::text[], %s::numeric[], %s::timestamptz[], %s::text[], %s::text[]"
            f") WITH ORDINALITY AS v(sku, q, o, s, e, n) LEFT JOIN {products} p ON p.sku = v.sku), "
            # An archived product's event is refused unless it is a repeat of a stored one.
            "r AS (SELECT v.*, (v.archived_at IS NOT NULL AND NOT EXISTS ("
            f"SELECT 1 FROM {events} d WHERE d.source = v.s AND d.external_id = v.e"
            ")) AS refused FROM v), "
            f"ins AS (INSERT INTO {events} ({_EVENT_COLUMNS}) "
            "SELECT product_id, q, o, s, e, %s, 0, 0, %s FROM r "
            "WHERE archived_at IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM r WHERE product_id IS NULL OR refused) ORDER BY s, e, n "
            f"ON CONFLICT (source, external_id) DO NOTHING {returning}) "
            "SELECT id, source, external_id, product_id, NULL, NULL::boolean FROM ins "
            "UNION ALL SELECT NULL, NULL, NULL, NULL, sku, refused FROM r "
            "WHERE product_id IS NULL OR refused",
            [
                [i.sku for i in new],
                [Decimal(i.quantity) for i in new],
                [i.occurred_at for i in new],
                [i.source for i in new],
                [i.external_id for i in new],
                DemandStatus.RECEIVED,
                now,
            ],
        )
        found = cursor.fetchall()
    unknown = {row[4] for row in found if row[4] is not None and not row[5]}
    archived = {row[4] for row in found if row[4] is not None and row[5]}
    return [row[:4] for row in found if row[4] is None], unknown, archived


def _kick_processing(product_ids: set[int]) -> None:
    from production.tasks import demand_processing_kick

    demand_processing_kick(product_ids)
