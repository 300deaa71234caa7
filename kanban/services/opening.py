"""Opening loops: one (`loop_create`) or a file's thousands at once (`loops_open`), each
checked first without a query (`loop_opening_checked`), so a file names the row at fault."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from simple_history.utils import bulk_create_with_history

from kanban.models import CardEvent, CardEventSource, CardStatus, KanbanCard, KanbanLoop
from kanban.services.loops import add_cards, check_card_count
from production.audit.records import audited
from production.errors import DomainError, NotAllowed
from production.models import Location, MoveKind, Product
from production.services.locations import ensure_active_location, ensure_active_product
from production.services.stock import LedgerBatch, ensure_stock_levels, fill_backorders
from production.supply.models import ReplenishmentSource, Supplier

C = CardStatus


class Opening:
    """How a new loop's containers start: `full` (the stock is there: an opening move
    receives it) or `empty` (a new part: no stock is booked, every card signals)."""

    FULL = "full"
    EMPTY = "empty"
    ALL = (FULL, EMPTY)


@dataclass(frozen=True)
class LoopOpening:
    """What opening one loop takes (see `loop_create`)."""

    product: Product
    card_count: int
    location: Location | None = None
    container_quantity: Decimal | None = None
    opening: str = Opening.FULL
    safety_factor: Decimal = Decimal("0.2")
    source: str = ReplenishmentSource.PRODUCTION
    supplier: Supplier | None = None
    source_location: Location | None = None
    transfer_lead_time_days: Decimal | None = None
    minimum: Decimal | None = None


def loop_opening_checked(opening: LoopOpening) -> KanbanLoop:
    """The loop an opening makes, unsaved, after every check that needs no query (each
    failure a `DomainError` naming its field): a file import checks each row with it."""
    location = opening.location or opening.product.supermarket
    sourcing = _loop_source(
        product=opening.product,
        location=location,
        source=opening.source,
        supplier=opening.supplier,
        source_location=opening.source_location,
        transfer_lead_time_days=opening.transfer_lead_time_days,
    )
    if opening.minimum is not None and Decimal(opening.minimum) < 0:
        raise DomainError(gettext("The minimum cannot be negative."), field="minimum")
    check_card_count(opening.card_count)
    if opening.opening not in Opening.ALL:
        raise DomainError(gettext("Opening stock is `full` or `empty`."), field="opening")
    quantity = Decimal(opening.container_quantity or opening.product.container_quantity)
    if quantity <= 0:
        raise DomainError(
            gettext("Container quantity must be greater than zero."), field="container_quantity"
        )
    ensure_active_product(opening.product)
    ensure_active_location(location, "location")
    return KanbanLoop(
        product=opening.product,
        location=location,
        container_quantity=quantity,
        safety_factor=opening.safety_factor,
        minimum=opening.minimum,
        **sourcing,
    )


def _at(index: int, error: DomainError) -> DomainError:
    """The error of the opening at `index` of a batch (`error.opening_index`)."""
    error.opening_index = index  # type: ignore[attr-defined]
    return error


def _exists(product: Product, location: Location, existing: KanbanLoop) -> NotAllowed:
    return NotAllowed(
        gettext("%(sku)s already has a loop at %(code)s (loop %(id)s%(archived)s).")
        % {
            "sku": product.sku,
            "code": location.code,
            "id": existing.pk,
            "archived": gettext(", archived") if existing.archived_at else "",
        },
        field="product",
        code="exists",
    )


@audited
@transaction.atomic
def loop_create(*, actor_id: int | None = None, **opening: Any) -> KanbanLoop:
    """Open a loop. `opening` `full`: every card full, its stock received by an opening
    move; `empty`: every card empty and signalled (nothing is booked that is not there).

    Its `source` says how its empty containers are replenished: `production` (a work
    order on the product's line), `supplier` (a call-off to `supplier`) or `transfer` (a
    transfer order from `source_location`, due after `transfer_lead_time_days`, 1 day
    unless given). `minimum`: stock below it raises stock.below_minimum (one container
    unless given). The fields are `LoopOpening`'s.
    """
    return loops_open([LoopOpening(**opening)], actor_id=actor_id)[0]


@audited
@transaction.atomic
def loops_open(openings: Sequence[LoopOpening], *, actor_id: int | None = None) -> list[KanbanLoop]:
    """Open many loops at once, as `loop_create` opens one, in a constant number of
    queries (a file import's thousands of loops): all open, or none. A refusal names the
    opening at fault in its `opening_index`."""
    loops = []
    for index, opening in enumerate(openings):
        try:
            loops.append(loop_opening_checked(opening))
        except DomainError as exc:
            raise _at(index, exc) from None
    keys = [(loop.product_id, loop.location_id) for loop in loops]
    seen: set[tuple[int, int]] = set()
    for index, key in enumerate(keys):
        if key in seen:
            loop = loops[index]
            raise _at(
                index,
                NotAllowed(
                    gettext("%(sku)s is opened at %(code)s twice.")
                    % {"sku": loop.product.sku, "code": loop.location.code},
                    field="product",
                    code="exists",
                ),
            )
        seen.add(key)
    # The stock level guards the loop of its product and location: a second opening at
    # once waits here, then finds the first loop.
    levels = ensure_stock_levels(keys)
    products = {product for product, _ in keys}
    for existing in KanbanLoop.objects.filter(product_id__in=products).select_related(
        "product", "location"
    ):
        key = (existing.product_id, existing.location_id)
        if key in seen:
            raise _at(keys.index(key), _exists(existing.product, existing.location, existing))
    bulk_create_with_history(loops, KanbanLoop)
    now = timezone.now()
    full = [(loop, o) for loop, o in zip(loops, openings, strict=True) if o.opening == Opening.FULL]
    empty = [
        (loop, o.card_count, 1)
        for loop, o in zip(loops, openings, strict=True)
        if o.opening == Opening.EMPTY
    ]
    if empty:
        add_cards(empty, actor_id=actor_id, reason="loop opened empty")
    if not full:
        return loops
    cards = KanbanCard.objects.bulk_create(
        KanbanCard(
            loop=loop,
            number=n,
            status=C.FULL,
            remaining_quantity=loop.container_quantity,
            status_changed_at=now,
        )
        for loop, opening in full
        for n in range(1, opening.card_count + 1)
    )
    CardEvent.objects.bulk_create(
        CardEvent(
            card=c,
            to_status=C.FULL,
            source=CardEventSource.PLANNER,
            actor_id=actor_id,
            reason="loop opened",
        )
        for c in cards
    )
    batch = LedgerBatch()
    for loop, opening in full:
        batch.add(
            levels[(loop.product_id, loop.location_id)],
            loop.container_quantity * opening.card_count,
            kind=MoveKind.OPENING,
            actor_id=actor_id,
            note="kanban loop opened",
        )
    fill_backorders(batch, *batch.levels.values())
    batch.write(actor_id=actor_id)
    return loops


def _loop_source(
    *,
    product: Product,
    location: Location,
    source: str,
    supplier: Supplier | None,
    source_location: Location | None,
    transfer_lead_time_days: Decimal | None,
) -> dict[str, object]:
    """The loop's source fields, checked: each source has what it needs, and only that."""
    S = ReplenishmentSource
    if source not in S.values:
        raise DomainError(
            gettext("Unknown source %(source)r; use one of %(all)s.")
            % {"source": source, "all": ", ".join(S.values)},
            field="source",
        )
    if source == S.PRODUCTION and product.line_id is None:
        raise DomainError(
            gettext("%(sku)s has no line to make it: give the loop a supplier or a transfer.")
            % {"sku": product.sku},
            field="source",
        )
    if source == S.SUPPLIER and supplier is None:
        raise DomainError(gettext("A supplier loop needs a supplier."), field="supplier")
    if source == S.SUPPLIER and supplier is not None and supplier.archived_at is not None:
        raise DomainError(
            gettext("Supplier %(code)s is archived.") % {"code": supplier.code}, field="supplier"
        )
    if source == S.TRANSFER and source_location is None:
        raise DomainError(
            gettext("A transfer loop needs the location it comes from."), field="source_location"
        )
    if source == S.TRANSFER and source_location is not None and source_location.pk == location.pk:
        raise DomainError(
            gettext("A transfer comes from another location than the loop's."),
            field="source_location",
        )
    lead_time = transfer_lead_time_days
    if source == S.TRANSFER:
        lead_time = Decimal(lead_time) if lead_time is not None else Decimal("1")
        if lead_time <= 0:
            raise DomainError(
                gettext("The transfer lead time must be greater than zero."),
                field="transfer_lead_time_days",
            )
    return {
        "source": source,
        "supplier": supplier if source == S.SUPPLIER else None,
        "source_location": source_location if source == S.TRANSFER else None,
        "transfer_lead_time_days": lead_time if source == S.TRANSFER else None,
    }
