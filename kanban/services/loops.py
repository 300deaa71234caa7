"""Kanban loops: opening one, applying its sizing (cards added or retired), resyncing with stock."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

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

from kanban.locks import lock_cards
from kanban.models import (
    CardEvent,
    CardEventSource,
    CardStatus,
    KanbanCard,
    KanbanLoop,
)
from kanban.policy import NOT_HELD, drain_containers, signal_cards
from kanban.selectors.loops import pull_loops_with_stock
from kanban.services.cards import card_move
from kanban.services.sizing import loop_max_cards
from production import live
from production.audit.records import audited
from production.bulk import bulk_update_rows
from production.errors import DomainError
from production.models import (
    Location,
    MoveKind,
    Product,
)
from production.services.stock import ensure_stock_levels

C = CardStatus


@audited
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
    limit = loop_max_cards()
    if card_count > limit:
        raise DomainError(
            gettext("A loop has at most %(limit)d cards (PULLBOARD_LOOP_MAX_CARDS).")
            % {"limit": limit},
            field="card_count",
        )
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


@transaction.atomic
def loop_set_safety_factor(*, loop_id: int, safety_factor: Decimal, actor_id: int | None) -> None:
    """The safety factor sizing adds to the loop's demand over its lead time (a in N)."""
    if Decimal(safety_factor) < 0:
        raise DomainError(gettext("The safety factor cannot be below zero."), field="safety_factor")
    loop = KanbanLoop.objects.select_for_update().get(pk=loop_id)
    loop.safety_factor = safety_factor
    loop.save(update_fields=["safety_factor"])


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
    # The loop's stock level guards its card count: a second apply waits here, then
    # counts the cards the first one added or retired.
    ensure_stock_levels([(loop.product_id, loop.location_id)])
    active = list(lock_cards(loop.cards.exclude(status=C.RETIRED)))
    delta = loop.recommended_card_count - len(active)
    added = retired = 0
    if delta > 0:
        now = timezone.now()
        top = loop.cards.aggregate(top=Max("number"))["top"] or 0
        new = KanbanCard.objects.bulk_create(
            KanbanCard(
                loop=loop,
                number=top + i,
                status=C.EMPTY,
                status_changed_at=now,
                loop_held=loop.on_hold,
            )
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
    unsignalled = KanbanCard.objects.filter(
        loop=OuterRef("pk"), status=C.EMPTY, work_order__isnull=True, **NOT_HELD
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
                    loop__in=list(pull), status=C.EMPTY, work_order__isnull=True, **NOT_HELD
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
