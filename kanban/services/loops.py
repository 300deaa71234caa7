"""Kanban loops: opening one, applying its sizing (cards added or retired), resyncing with stock."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import (
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone
from django.utils.translation import gettext
from simple_history.utils import bulk_create_with_history

from kanban.locks import lock_cards
from kanban.models import (
    CardEvent,
    CardEventSource,
    CardStatus,
    KanbanCard,
    KanbanLoop,
)
from kanban.policy import LOOP_RELATED, NOT_HELD, drain_containers, loop_parked, signal_cards
from kanban.replenish import NO_ORDER, ORDER_FIELDS
from kanban.selectors.loops import pull_loops_with_stock
from kanban.services.cards import card_move
from kanban.services.sizing import loop_max_cards
from production import live
from production.audit.records import audited
from production.bulk import bulk_update_rows
from production.errors import DomainError, NotAllowed
from production.models import (
    Location,
    MoveKind,
    Product,
)
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


def _check_card_count(card_count: int) -> None:
    if card_count < 1:
        raise DomainError(gettext("A loop needs at least one card."), field="card_count")
    limit = loop_max_cards()
    if card_count > limit:
        raise DomainError(
            gettext("A loop has at most %(limit)d cards (PULLBOARD_LOOP_MAX_CARDS).")
            % {"limit": limit},
            field="card_count",
        )


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
    _check_card_count(opening.card_count)
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
    for loop, opening in zip(loops, openings, strict=True):
        if opening.opening == Opening.EMPTY:
            _add_cards(
                loop, opening.card_count, first=1, actor_id=actor_id, reason="loop opened empty"
            )
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


@transaction.atomic
def loop_set_safety_factor(*, loop_id: int, safety_factor: Decimal, actor_id: int | None) -> None:
    """The safety factor sizing adds to the loop's demand over its lead time (a in N)."""
    if Decimal(safety_factor) < 0:
        raise DomainError(gettext("The safety factor cannot be below zero."), field="safety_factor")
    loop = KanbanLoop.objects.select_for_update().get(pk=loop_id)
    loop.safety_factor = safety_factor
    loop.save(update_fields=["safety_factor"])


def _add_cards(
    loop: KanbanLoop, count: int, *, first: int, actor_id: int | None, reason: str
) -> None:
    """New cards start empty (they must be made) and signal."""
    now = timezone.now()
    new = KanbanCard.objects.bulk_create(
        KanbanCard(
            loop=loop,
            number=first + i,
            status=C.EMPTY,
            status_changed_at=now,
            loop_held=loop.on_hold,
        )
        for i in range(count)
    )
    signal_cards(new, actor_id=actor_id)
    KanbanCard.objects.bulk_update(new, ORDER_FIELDS)
    CardEvent.objects.bulk_create(
        CardEvent(
            card=c,
            to_status=C.EMPTY,
            source=CardEventSource.PLANNER,
            actor_id=actor_id,
            reason=reason,
            work_order=c.work_order,
        )
        for c in new
    )


def ensure_active_loop(loop: KanbanLoop) -> None:
    if loop.archived_at is not None:
        raise NotAllowed(
            gettext("Loop %(id)s is archived: it sends no signals and takes no new work.")
            % {"id": loop.pk},
            field="loop",
            code="archived",
        )


def loop_resize(
    *, loop: KanbanLoop, card_count: int, actor_id: int | None, reason: str
) -> dict[str, int]:
    """Give the loop `card_count` active cards, in the caller's transaction.

    Added cards start empty and signal; retired cards are taken from the empty ones
    first, then the full ones. Cards in use or in process cannot be retired: what is
    left to retire is reported.
    """
    ensure_active_loop(loop)
    _check_card_count(card_count)
    # The loop's stock level guards its card count: a second resize waits here, then
    # counts the cards the first one added or retired.
    ensure_stock_levels([(loop.product_id, loop.location_id)])
    active = list(lock_cards(loop.cards.exclude(status=C.RETIRED)))
    delta = card_count - len(active)
    added = retired = 0
    if delta > 0:
        top = loop.cards.aggregate(top=Max("number"))["top"] or 0
        _add_cards(loop, delta, first=top + 1, actor_id=actor_id, reason=f"added by {reason}")
        added = delta
    elif delta < 0:
        order: dict[str, int] = {C.EMPTY: 0, C.FULL: 1}
        candidates = sorted(
            (c for c in active if c.status in order), key=lambda c: (order[c.status], -c.number)
        )
        for card in candidates[:-delta]:
            card_move(
                card_id=card.pk,
                to=C.RETIRED,
                actor_id=actor_id,
                source=CardEventSource.PLANNER,
                reason=f"retired by {reason}",
            )
            retired += 1
    live.notify_lines_changed([loop.product.line_id])
    return {"added": added, "retired": retired, "still_to_retire": max(0, -delta - retired)}


@transaction.atomic
def loop_apply_sizing(*, loop_id: int, actor_id: int | None) -> dict[str, int]:
    """Make the loop's actual card count the recommended one (see `loop_resize`)."""
    loop = KanbanLoop.objects.select_related("product__line", "location").get(pk=loop_id)
    if loop.recommended_card_count is None:
        raise DomainError("This loop has not been sized yet.", field="recommended_card_count")
    return loop_resize(
        loop=loop, card_count=loop.recommended_card_count, actor_id=actor_id, reason="sizing"
    )


def loops_out_of_sync() -> list[int]:
    """Ids of the pull loops whose cards disagree with stock, in one query: the cards
    hold more or less than the level, or an empty card has no order (parked in push)."""
    unsignalled = KanbanCard.objects.filter(
        loop=OuterRef("pk"), status=C.EMPTY, **NO_ORDER, **NOT_HELD
    )
    return list(
        pull_loops_with_stock()
        .filter(~Q(held=F("on_hand")) | Exists(unsignalled))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def loops_resync(loops: QuerySet[KanbanLoop], *, actor_id: int | None) -> list[str]:
    """Bring cards in line with stock: containers cannot hold more than is on hand.

    Where the cards hold more than the level (stock left while the line was in push
    mode, or a count), the difference is drained from the containers, which signals.
    Stock beyond what the cards hold is loose stock: reported, not moved. Every loop
    of the set is done at once (levels locked, then the cards), in the caller's
    transaction.
    """
    chosen = list(loops.select_related(*LOOP_RELATED).order_by("pk"))
    if not chosen:
        return []
    levels = ensure_stock_levels({(loop.product_id, loop.location_id) for loop in chosen})
    held = dict(
        KanbanCard.objects.filter(loop__in=chosen, status__in=[C.FULL, C.IN_USE])
        .order_by()
        .values("loop_id")
        .annotate(total=Sum("remaining_quantity"))
        .values_list("loop_id", "total")
    )
    findings: dict[int, list[str]] = {loop.pk: [] for loop in chosen}
    excess: dict[KanbanLoop, Decimal] = {}
    for loop in chosen:
        on_hand = levels[(loop.product_id, loop.location_id)].on_hand
        holds = held.get(loop.pk, Decimal("0"))
        if holds > on_hand:
            excess[loop] = holds - on_hand
            findings[loop.pk].append(
                f"{loop.product.sku}: cards held {holds}, stock {on_hand}; "
                "containers drained to match"
            )
        elif holds < on_hand:
            findings[loop.pk].append(
                f"{loop.product.sku}: {on_hand - holds} loose stock beyond cards"
            )
    if excess:
        drain_containers(excess, actor_id=actor_id, reason="resynchronised with stock")
    # Empty cards of a pull loop without an order (parked while in push) signal now.
    pull = {loop.pk: loop for loop in chosen if not loop_parked(loop)}
    orphans = (
        list(
            lock_cards(
                KanbanCard.objects.filter(
                    loop__in=list(pull), status=C.EMPTY, **NO_ORDER, **NOT_HELD
                )
            )
        )
        if pull
        else []
    )
    if orphans:
        signal_cards(orphans, actor_id=actor_id, loops=pull)
        bulk_update_rows(orphans, ORDER_FIELDS)
        per_loop = Counter(card.loop_id for card in orphans)
        for loop_id, count in per_loop.items():
            findings[loop_id].append(f"{pull[loop_id].product.sku}: {count} empty cards signalled")
    return [finding for loop in chosen for finding in findings[loop.pk]]
