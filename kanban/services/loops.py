"""Kanban loops: applying their sizing (cards added or retired), resyncing with stock (opening
one is `opening`'s)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
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
from kanban.policy import LOOP_RELATED, NOT_HELD, drain_containers, loop_parked, signal_cards
from kanban.replenish import NO_ORDER, ORDER_FIELDS
from kanban.selectors.loops import pull_loops_with_stock
from kanban.services.cards import card_move
from kanban.services.sizing import loop_max_cards
from production import live
from production.bulk import bulk_update_rows
from production.errors import DomainError, NotAllowed
from production.services.stock import ensure_stock_levels

C = CardStatus


def check_card_count(card_count: int) -> None:
    if card_count < 1:
        raise DomainError(gettext("A loop needs at least one card."), field="card_count")
    limit = loop_max_cards()
    if card_count > limit:
        raise DomainError(
            gettext("A loop has at most %(limit)d cards (PULLBOARD_LOOP_MAX_CARDS).")
            % {"limit": limit},
            field="card_count",
        )


@transaction.atomic
def loop_set_safety_factor(*, loop_id: int, safety_factor: Decimal, actor_id: int | None) -> None:
    """The safety factor sizing adds to the loop's demand over its lead time (a in N)."""
    if Decimal(safety_factor) < 0:
        raise DomainError(gettext("The safety factor cannot be below zero."), field="safety_factor")
    loop = KanbanLoop.objects.select_for_update().get(pk=loop_id)
    loop.safety_factor = safety_factor
    loop.save(update_fields=["safety_factor"])


def add_cards(
    additions: Sequence[tuple[KanbanLoop, int, int]], *, actor_id: int | None, reason: str
) -> None:
    """New cards start empty (they must be made) and signal: `(loop, count, first number)`
    for each loop, all of them in the same few queries."""
    now = timezone.now()
    new = KanbanCard.objects.bulk_create(
        KanbanCard(
            loop=loop,
            number=first + i,
            status=C.EMPTY,
            status_changed_at=now,
            loop_held=loop.on_hold,
        )
        for loop, count, first in additions
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
    check_card_count(card_count)
    # The loop's stock level guards its card count: a second resize waits here, then
    # counts the cards the first one added or retired.
    ensure_stock_levels([(loop.product_id, loop.location_id)])
    active = list(lock_cards(loop.cards.exclude(status=C.RETIRED)))
    delta = card_count - len(active)
    added = retired = 0
    if delta > 0:
        top = loop.cards.aggregate(top=Max("number"))["top"] or 0
        add_cards([(loop, delta, top + 1)], actor_id=actor_id, reason=f"added by {reason}")
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
