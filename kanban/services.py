"""All writes of the kanban app: card moves, loops, sizing. One transaction each."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import (
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from kanban.locks import lock_card_ids, lock_cards
from kanban.models import (
    CardEvent,
    CardEventSource,
    CardStatus,
    KanbanCard,
    KanbanLoop,
    PullSignal,
)
from kanban.policy import drain_containers, signal_cards
from kanban.sizing import recommended_card_count
from production import live
from production.bulk import bulk_update_rows
from production.errors import DomainError, NotAllowed, VersionConflict
from production.models import (
    BomLine,
    DemandEvent,
    Location,
    MoveKind,
    Product,
    StockLevel,
    WorkOrderStatus,
)
from production.services.stock import LedgerBatch, ensure_stock_levels
from production.services.work_orders import work_order_transition

C = CardStatus

CARD_TRANSITIONS: dict[str, frozenset[str]] = {
    C.FULL: frozenset({C.IN_USE, C.EMPTY, C.RETIRED}),
    C.IN_USE: frozenset({C.EMPTY}),
    C.EMPTY: frozenset({C.IN_PROCESS, C.RETIRED}),
    C.IN_PROCESS: frozenset({C.FULL}),
    C.RETIRED: frozenset(),
}

WHY_NOT: dict[tuple[str, str], str] = {
    (C.IN_USE, C.FULL): "a container in use cannot be full again until it is emptied and made",
    (C.EMPTY, C.FULL): "an empty container must be made (in process) before it is full",
    (C.FULL, C.IN_PROCESS): "a full container has nothing to make",
    (C.IN_PROCESS, C.EMPTY): "work has started on this container",
    (C.IN_USE, C.RETIRED): "only a full or empty card can be retired",
    (C.IN_PROCESS, C.RETIRED): "only a full or empty card can be retired",
}


def allowed_moves(status: str) -> frozenset[str]:
    """Moves an operator may make from a status (retiring is a planner's sizing action)."""
    return CARD_TRANSITIONS[status] - {C.RETIRED}


def wip_in_process(line_id: int) -> int:
    return KanbanCard.objects.filter(loop__product__line_id=line_id, status=C.IN_PROCESS).count()


@transaction.atomic
def card_move(
    *,
    card_id: int,
    to: str,
    actor_id: int | None,
    source: str = CardEventSource.BOARD,
    reason: str = "",
    expected_version: int | None = None,
    wip_override_reason: str = "",
) -> KanbanCard:
    """Move a card to another status, with the stock and work-order effects of the move.

    - `full`/`in_use` -> `empty`: the container was used up at the line; whatever the
      ledger still held for it is consumed, and the pull signal is raised.
    - `empty` -> `in_process`: its work order starts (components are consumed); the
      line's WIP limit holds unless an override reason is given, which is logged.
    - `in_process` -> `full`: its work order completes and one container is received.
    A stale `expected_version` is refused: two people moving one card, one wins.
    """
    current = (
        KanbanCard.objects.select_related("loop__product__line", "loop__location")
        .filter(pk=card_id)
        .first()
    )
    if current is None:
        raise DomainError(f"Card {card_id} does not exist.", code="not_found")
    if to not in CARD_TRANSITIONS:
        raise DomainError(
            f"Unknown status {to!r}; use one of {', '.join(CARD_TRANSITIONS)}.", field="to"
        )
    loop, product = current.loop, current.loop.product
    pairs = {(product.pk, loop.location_id)}
    if to == C.IN_PROCESS:
        pairs |= {
            (b.component_id, b.component.supermarket_id)
            for b in product.bom_lines.select_related("component")
        }
    ensure_stock_levels(pairs)  # house lock order: stock levels, then cards, then work orders
    card = lock_card_ids([card_id]).get()
    if expected_version is not None and card.version != expected_version:
        raise VersionConflict(
            f"Card {product.sku} #{card.number} was moved by someone else: it is now "
            f"{card.get_status_display().lower()}.",
            current_version=card.version,
        )
    if to not in CARD_TRANSITIONS[card.status]:
        why = WHY_NOT.get((card.status, to), "that move is not part of the card cycle")
        raise NotAllowed(
            f"Card {product.sku} #{card.number} cannot go from "
            f"{card.get_status_display().lower()} to {C(to).label.lower()}: {why}.",
            field="to",
        )
    if product.line.mode != "pull" and not (card.status == C.IN_PROCESS and to == C.FULL):
        raise NotAllowed(
            f"Line {product.line.code} runs in push mode: its cards are parked. "
            "Work already in process can still be finished.",
            field="to",
            code="parked",
        )

    override = False
    from_status = card.status
    if to == C.EMPTY:
        _empty_container(card, actor_id=actor_id)
    elif to == C.IN_PROCESS:
        override = _check_wip(product.line, wip_override_reason)
        _start_work(card, actor_id=actor_id)
    elif to == C.FULL:
        card.remaining_quantity = loop.container_quantity
    elif to == C.RETIRED:
        _retire(card, actor_id=actor_id)

    card.status = to
    card.version += 1
    card.status_changed_at = timezone.now()
    work_order_id = card.work_order_id
    if to in (C.FULL, C.RETIRED):
        card.work_order = None
    card.save(
        update_fields=["status", "version", "status_changed_at", "remaining_quantity", "work_order"]
    )
    CardEvent.objects.create(
        card=card,
        from_status=from_status,
        to_status=to,
        source=source,
        actor_id=actor_id,
        reason=(wip_override_reason or reason)[:300],
        work_order_id=work_order_id,
        wip_override=override,
    )
    if to == C.FULL and work_order_id is not None:
        # Receiving the container may serve backorders, which drain containers again.
        work_order_transition(
            work_order_id=work_order_id, to=WorkOrderStatus.DONE, actor_id=actor_id, via_card=True
        )
        PullSignal.objects.filter(work_order_id=work_order_id).update(fulfilled_at=timezone.now())
        card.refresh_from_db()
    elif to == C.FULL:
        _receive_without_order(card, actor_id=actor_id)
        card.refresh_from_db()
    live.notify_lines_changed([product.line_id])
    return card


def _empty_container(card: KanbanCard, *, actor_id: int | None) -> None:
    if card.remaining_quantity > 0:
        key = (card.loop.product_id, card.loop.location_id)
        level = ensure_stock_levels([key])[key]
        batch = LedgerBatch()
        batch.consume(
            level,
            card.remaining_quantity,
            actor_id=actor_id,
            notify=False,
            note=f"card #{card.number} emptied at the line",
        )
        batch.write(actor_id=actor_id)
        card.remaining_quantity = Decimal("0")
    card.status = C.EMPTY
    signal_cards([card], actor_id=actor_id)


def _check_wip(line: Any, override_reason: str) -> bool:
    in_process = wip_in_process(line.pk)
    if in_process < line.wip_limit:
        return False
    if not override_reason.strip():
        raise NotAllowed(
            f"Line {line.code} already has {in_process} containers in process "
            f"(WIP limit {line.wip_limit}). Give a reason to override.",
            field="wip_override_reason",
            code="wip_limit",
        )
    return True


def _start_work(card: KanbanCard, *, actor_id: int | None) -> None:
    if card.work_order_id is None:
        # A card of a loop that was parked or grown: make its order now.
        signal_cards([card], actor_id=actor_id)
        card.save(update_fields=["work_order"])
    assert card.work_order_id is not None
    status = card.work_order.status if card.work_order else WorkOrderStatus.PLANNED
    if status == WorkOrderStatus.PLANNED:
        work_order_transition(
            work_order_id=card.work_order_id,
            to=WorkOrderStatus.RELEASED,
            actor_id=actor_id,
            via_card=True,
        )
    work_order_transition(
        work_order_id=card.work_order_id,
        to=WorkOrderStatus.IN_PROGRESS,
        actor_id=actor_id,
        via_card=True,
    )


def _receive_without_order(card: KanbanCard, *, actor_id: int | None) -> None:
    key = (card.loop.product_id, card.loop.location_id)
    level = ensure_stock_levels([key])[key]
    batch = LedgerBatch()
    batch.add(
        level,
        card.loop.container_quantity,
        kind=MoveKind.RECEIPT,
        actor_id=actor_id,
        note=f"card #{card.number} filled",
    )
    batch.write(actor_id=actor_id)


def _retire(card: KanbanCard, *, actor_id: int | None) -> None:
    if card.status == C.FULL and card.remaining_quantity > 0:
        key = (card.loop.product_id, card.loop.location_id)
        level = ensure_stock_levels([key])[key]
        batch = LedgerBatch()
        batch.add(
            level,
            -card.remaining_quantity,
            kind=MoveKind.ADJUSTMENT,
            actor_id=actor_id,
            note=f"card #{card.number} retired with its container",
        )
        batch.write(actor_id=actor_id)
    if card.work_order_id is not None:
        work_order_transition(
            work_order_id=card.work_order_id,
            to=WorkOrderStatus.CANCELLED,
            actor_id=actor_id,
            reason="card retired",
            via_card=True,
        )
    card.remaining_quantity = Decimal("0")


@transaction.atomic
def loop_create(
    *,
    product: Product,
    location: Location | None = None,
    container_quantity: Decimal | None = None,
    card_count: int,
    safety_factor: Decimal = Decimal("0.2"),
    actor_id: int | None = None,
) -> KanbanLoop:
    """A new loop starts with every card full, its stock received by an opening move."""
    from production.services.stock import stock_receive

    if card_count < 1:
        raise DomainError("A loop needs at least one card.", field="card_count")
    location = location or product.supermarket
    quantity = Decimal(container_quantity or product.container_quantity)
    if quantity <= 0:
        raise DomainError(
            "Container quantity must be greater than zero.", field="container_quantity"
        )
    if KanbanLoop.objects.filter(product=product, location=location).exists():
        raise DomainError(f"{product.sku} already has a loop at {location.code}.", field="product")
    loop = KanbanLoop.objects.create(
        product=product, location=location, container_quantity=quantity, safety_factor=safety_factor
    )
    now = timezone.now()
    cards = KanbanCard.objects.bulk_create(
        KanbanCard(
            loop=loop, number=n, status=C.FULL, remaining_quantity=quantity, status_changed_at=now
        )
        for n in range(1, card_count + 1)
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
    stock_receive(
        product=product,
        location=location,
        quantity=quantity * card_count,
        kind=MoveKind.OPENING,
        actor_id=actor_id,
        note="kanban loop opened",
    )
    return loop


BOM_DEPTH = 10  # deeper BOMs than this are taken as a cycle
Parents = dict[int, list[tuple[int, Decimal]]]  # component -> [(parent, quantity per parent)]


def _bom_parents() -> Parents:
    parents: Parents = {}
    for parent_id, component_id, quantity in (
        BomLine.objects.order_by().values_list("parent_id", "component_id", "quantity").iterator()
    ):
        parents.setdefault(component_id, []).append((parent_id, quantity))
    return parents


def _units_per_level(product_id: int, parents: Parents) -> list[dict[int, Decimal]]:
    """Level by level up the BOM: product -> units of `product_id` in one of it."""
    levels: list[dict[int, Decimal]] = []
    per_unit = {product_id: Decimal("1")}
    while per_unit and len(levels) < BOM_DEPTH:
        levels.append(per_unit)
        above: dict[int, Decimal] = {}
        for component_id, units in per_unit.items():
            for parent_id, quantity in parents.get(component_id, ()):
                above[parent_id] = above.get(parent_id, Decimal("0")) + units * quantity
        per_unit = above
    return levels


def _demand_by_product(product_ids: set[int], *, start: Any, end: Any) -> dict[int, Decimal]:
    return dict(
        DemandEvent.objects.filter(
            product_id__in=product_ids, occurred_at__gte=start, occurred_at__lt=end
        )
        .order_by()
        .values("product_id")
        .annotate(total=Sum("quantity"))
        .values_list("product_id", "total")
    )


def _direct_and_dependent(
    levels: list[dict[int, Decimal]], demand: dict[int, Decimal]
) -> tuple[Decimal, Decimal]:
    found = [
        sum((units * demand[p] for p, units in level.items() if p in demand), Decimal("0"))
        for level in levels
    ]
    return found[0], sum(found[1:], Decimal("0"))


def demand_in_window(*, product_id: int, start: Any, end: Any) -> tuple[Decimal, Decimal]:
    """A product's demand over [start, end): its own events, and what the demand for the
    products that use it needs of it through their BOMs (every level up).

    A component has little demand of its own; its loop is sized by its parents' demand.
    """
    levels = _units_per_level(product_id, _bom_parents())
    demand = _demand_by_product(set().union(*levels), start=start, end=end)
    return _direct_and_dependent(levels, demand)


def _measured_lead_times(
    loop_ids: list[int], *, last: int = 20
) -> dict[int, tuple[Decimal | None, int]]:
    """Per loop, the mean signal -> full time over its last fulfilled cycles, and how many:
    one query for every loop (a window ranks each loop's cycles)."""
    cycles = (
        PullSignal.objects.filter(card__loop_id__in=loop_ids, fulfilled_at__isnull=False)
        .annotate(
            loop_id=F("card__loop_id"),
            rank=Window(
                RowNumber(), partition_by=F("card__loop_id"), order_by=F("fulfilled_at").desc()
            ),
            duration=ExpressionWrapper(
                F("fulfilled_at") - F("created_at"), output_field=DurationField()
            ),
        )
        .filter(rank__lte=last)
        .order_by()
        .values_list("loop_id", "duration")
    )
    durations: dict[int, list[timedelta]] = {}
    for loop_id, duration in cycles.iterator():
        durations.setdefault(loop_id, []).append(duration)
    measured: dict[int, tuple[Decimal | None, int]] = {}
    for loop_id, found in durations.items():
        mean = sum(found, timedelta()) / len(found)
        days = Decimal(mean.total_seconds() / 86400).quantize(Decimal("0.001"))
        measured[loop_id] = (days, len(found))
    return measured


@transaction.atomic
def loops_size(*, loops: QuerySet[KanbanLoop], now: Any = None) -> list[KanbanLoop]:
    """Store each loop's recommended card count with every input it came from.

    Set-based: the BOM, the demand of each sizing window and the measured lead times are
    read once for all the loops, and the recommendations written in one statement.
    """
    now = now or timezone.now()
    chosen = list(loops.select_related("product").order_by("pk"))
    if not chosen:
        return []
    parents = _bom_parents()
    levels = {loop.pk: _units_per_level(loop.product_id, parents) for loop in chosen}
    demand: dict[int, dict[int, Decimal]] = {}  # window (days) -> product -> demand
    for window in sorted({loop.sizing_window_days for loop in chosen}):
        wanted = {
            p
            for loop in chosen
            if loop.sizing_window_days == window
            for level in levels[loop.pk]
            for p in level
        }
        demand[window] = _demand_by_product(wanted, start=now - timedelta(days=window), end=now)
    measured_by_loop = _measured_lead_times([loop.pk for loop in chosen])
    min_cycles = settings.PULLBOARD["SIZING_MIN_CYCLES_FOR_MEASURED_LEAD_TIME"]
    for loop in chosen:
        window = loop.sizing_window_days
        direct, dependent = _direct_and_dependent(levels[loop.pk], demand[window])
        measured, cycles = measured_by_loop.get(loop.pk, (None, 0))
        _store_sizing(loop, direct, dependent, measured, cycles, min_cycles=min_cycles, now=now)
    bulk_update_rows(chosen, ["recommended_card_count", "recommended_at", "recommendation"])
    return chosen


def _store_sizing(
    loop: KanbanLoop,
    direct: Decimal,
    dependent: Decimal,
    measured: Decimal | None,
    cycles: int,
    *,
    min_cycles: int,
    now: Any,
) -> None:
    window = loop.sizing_window_days
    daily = ((direct + dependent) / window).quantize(Decimal("0.001"))
    enough = cycles >= min_cycles
    lead = measured if (enough and measured) else loop.product.lead_time_days
    count = recommended_card_count(
        daily_demand=daily,
        lead_time_days=lead,
        safety_factor=loop.safety_factor,
        container_quantity=loop.container_quantity,
    )
    loop.recommended_card_count = count
    loop.recommended_at = now
    loop.recommendation = {
        "daily_demand": str(daily),
        "dependent_daily_demand": str((dependent / window).quantize(Decimal("0.001"))),
        "window_days": window,
        "lead_time_days": str(lead),
        "lead_time_source": "measured" if (enough and measured) else "configured",
        "measured_lead_time_days": str(measured) if measured is not None else None,
        "measured_cycles": cycles,
        "safety_factor": str(loop.safety_factor),
        "container_quantity": str(loop.container_quantity),
        "recommended_card_count": count,
        "formula": "ceil(D x L x (1 + a) / C)",
    }


def loop_size(*, loop: KanbanLoop, now: Any = None) -> KanbanLoop:
    """Size one loop (see `loops_size`); `loop` is updated in place and returned."""
    (sized,) = loops_size(loops=KanbanLoop.objects.filter(pk=loop.pk), now=now)
    for name in ("recommended_card_count", "recommended_at", "recommendation"):
        setattr(loop, name, getattr(sized, name))
    return loop


@transaction.atomic
def loop_apply_sizing(*, loop_id: int, actor_id: int | None) -> dict[str, int]:
    """Make the loop's actual card count the recommended one.

    Added cards start empty (they must be made) and signal; retired cards are
    taken from the empty ones first, then the full ones. Cards in use or in
    process cannot be retired: what is left to retire is reported.
    """
    loop = KanbanLoop.objects.select_related("product__line", "location").get(pk=loop_id)
    if loop.recommended_card_count is None:
        raise DomainError("This loop has not been sized yet.", field="recommended_card_count")
    ensure_stock_levels([(loop.product_id, loop.location_id)])
    active = list(lock_cards(loop.cards.exclude(status=C.RETIRED)))
    delta = loop.recommended_card_count - len(active)
    added = retired = 0
    if delta > 0:
        now = timezone.now()
        top = loop.cards.aggregate(top=Max("number"))["top"] or 0
        new = KanbanCard.objects.bulk_create(
            KanbanCard(loop=loop, number=top + i, status=C.EMPTY, status_changed_at=now)
            for i in range(1, delta + 1)
        )
        signal_cards(new, actor_id=actor_id)
        KanbanCard.objects.bulk_update(new, ["work_order"])
        CardEvent.objects.bulk_create(
            CardEvent(
                card=c,
                to_status=C.EMPTY,
                source=CardEventSource.PLANNER,
                actor_id=actor_id,
                reason="added by sizing",
                work_order=c.work_order,
            )
            for c in new
        )
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
                reason="retired by sizing",
            )
            retired += 1
    live.notify_lines_changed([loop.product.line_id])
    return {"added": added, "retired": retired, "still_to_retire": max(0, -delta - retired)}


def loops_out_of_sync() -> list[int]:
    """Ids of the pull loops whose cards disagree with stock, in one query: the cards
    hold more or less than the level, or an empty card has no order (parked in push)."""
    held = (
        KanbanCard.objects.filter(loop=OuterRef("pk"), status__in=[C.FULL, C.IN_USE])
        .order_by()
        .values("loop")
        .annotate(total=Sum("remaining_quantity"))
        .values("total")
    )
    on_hand = StockLevel.objects.filter(
        product=OuterRef("product_id"), location=OuterRef("location_id")
    ).values("on_hand")
    unsignalled = KanbanCard.objects.filter(
        loop=OuterRef("pk"), status=C.EMPTY, work_order__isnull=True
    )
    zero = Value(Decimal("0"), output_field=DecimalField())
    return list(
        KanbanLoop.objects.filter(product__line__mode="pull")
        .annotate(held=Coalesce(Subquery(held), zero), on_hand=Coalesce(Subquery(on_hand), zero))
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
    chosen = list(loops.select_related("product__line", "location").order_by("pk"))
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
    pull = {loop.pk: loop for loop in chosen if loop.product.line.mode == "pull"}
    orphans = (
        list(
            lock_cards(
                KanbanCard.objects.filter(
                    loop__in=list(pull), status=C.EMPTY, work_order__isnull=True
                )
            )
        )
        if pull
        else []
    )
    if orphans:
        signal_cards(orphans, actor_id=actor_id, loops=pull)
        bulk_update_rows(orphans, ["work_order"])
        per_loop = Counter(card.loop_id for card in orphans)
        for loop_id, count in per_loop.items():
            findings[loop_id].append(f"{pull[loop_id].product.sku}: {count} empty cards signalled")
    return [finding for loop in chosen for finding in findings[loop.pk]]
