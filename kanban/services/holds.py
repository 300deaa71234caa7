"""Holds and one-time cards: cards that do not signal for a while, and cards made once.

A card, or a whole loop, is put on hold with a reason (machine down, quality hold,
missing part): while held its emptied containers raise no pull signal and it cannot be
started; released, the empty ones signal at once. A loop's hold is mirrored on each of
its cards (`loop_held`) under their row locks, so the pull engine, which reads the card
rows it has locked, never raises a signal for a loop put on hold before it got there.

A one-time card is issued by a planner for a demand spike: it starts empty (signalled),
is made once, and retires by itself when its container is used up.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kanban.locks import lock_card_ids, lock_cards
from kanban.models import (
    ACTIVE_CARD_STATUSES,
    CardEvent,
    CardEventSource,
    CardStatus,
    HoldAction,
    HoldEvent,
    HoldReason,
    KanbanCard,
    KanbanLoop,
)
from kanban.policy import loop_parked, signal_cards
from kanban.replenish import ORDER_FIELDS, has_order
from kanban.services.loops import ensure_active_loop
from production import live
from production.errors import DomainError, NotAllowed
from production.services.stock import ensure_stock_levels

C = CardStatus


def _reason(reason: str, note: str) -> tuple[str, str]:
    if reason not in HoldReason.values:
        raise DomainError(
            _("Say why it is held: one of %(reasons)s.")
            % {"reasons": ", ".join(HoldReason.values)},
            field="reason",
        )
    note = note.strip()
    if reason == HoldReason.OTHER and not note:
        raise DomainError(_("Say what the hold is for."), field="note")
    if len(note) > 200:
        raise DomainError(_("The note is at most 200 characters."), field="note")
    return reason, note


def _lock_loop(loop_id: int) -> KanbanLoop:
    loop = (
        KanbanLoop.objects.select_for_update(of=("self",))
        .select_related("product__line", "location")
        .filter(pk=loop_id)
        .first()
    )
    if loop is None:
        raise DomainError(_("Loop %(id)s does not exist.") % {"id": loop_id}, code="not_found")
    return loop


def _signal_released(cards: list[KanbanCard], loop: KanbanLoop, actor_id: int | None) -> None:
    """The empty cards no hold keeps back any more raise their signal now."""
    waiting = [
        card
        for card in cards
        if card.status == C.EMPTY and not has_order(card) and not card.signals_held
    ]
    if waiting and not loop.on_hold and not loop_parked(loop):
        signal_cards(waiting, actor_id=actor_id, loops={loop.pk: loop})


@transaction.atomic
def card_hold(*, card_id: int, reason: str, note: str = "", actor_id: int | None) -> KanbanCard:
    reason, note = _reason(reason, note)
    card = lock_card_ids([card_id]).select_related("loop__product").first()
    if card is None or card.status == C.RETIRED:
        raise DomainError(_("Card %(id)s does not exist.") % {"id": card_id}, code="not_found")
    if card.on_hold:
        raise NotAllowed(
            _("Card %(sku)s #%(number)s is already on hold (%(hold)s).")
            % {"sku": card.loop.product.sku, "number": card.number, "hold": card.hold_text},
            field="reason",
            code="already_held",
        )
    card.hold_reason, card.hold_note = reason, note
    card.held_at, card.held_by_id = timezone.now(), actor_id
    card.version += 1
    card.save(update_fields=["hold_reason", "hold_note", "held_at", "held_by", "version"])
    HoldEvent.objects.create(
        loop_id=card.loop_id,
        card=card,
        action=HoldAction.HOLD,
        reason=reason,
        note=note,
        actor_id=actor_id,
    )
    live.notify_lines_changed([card.loop.product.line_id])
    return card


@transaction.atomic
def card_release(*, card_id: int, actor_id: int | None, note: str = "") -> KanbanCard:
    card = lock_card_ids([card_id]).first()
    if card is None or not card.on_hold:
        raise NotAllowed(
            _("Card %(id)s is not on hold.") % {"id": card_id}, field="card", code="not_held"
        )
    loop = KanbanLoop.objects.select_related("product__line", "location").get(pk=card.loop_id)
    card.hold_reason, card.hold_note, card.held_at, card.held_by_id = "", "", None, None
    card.version += 1
    _signal_released([card], loop, actor_id)
    card.save(
        update_fields=["hold_reason", "hold_note", "held_at", "held_by", "version", *ORDER_FIELDS]
    )
    HoldEvent.objects.create(
        loop=loop, card=card, action=HoldAction.RELEASE, note=note.strip()[:200], actor_id=actor_id
    )
    live.notify_lines_changed([loop.product.line_id])
    return card


@transaction.atomic
def loop_hold(*, loop_id: int, reason: str, note: str = "", actor_id: int | None) -> KanbanLoop:
    reason, note = _reason(reason, note)
    loop = _lock_loop(loop_id)
    if loop.on_hold:
        raise NotAllowed(
            _("Loop %(sku)s is already on hold (%(hold)s).")
            % {"sku": loop.product.sku, "hold": loop.hold_text},
            field="reason",
            code="already_held",
        )
    loop.hold_reason, loop.hold_note = reason, note
    loop.held_at, loop.held_by_id = timezone.now(), actor_id
    loop.save(update_fields=["hold_reason", "hold_note", "held_at", "held_by"])
    cards = list(lock_cards(loop.cards.filter(status__in=ACTIVE_CARD_STATUSES)))
    for card in cards:
        card.loop_held = True
        card.version += 1
    KanbanCard.objects.bulk_update(cards, ["loop_held", "version"])
    HoldEvent.objects.create(
        loop=loop, action=HoldAction.HOLD, reason=reason, note=note, actor_id=actor_id
    )
    live.notify_lines_changed([loop.product.line_id])
    return loop


@transaction.atomic
def loop_release(*, loop_id: int, actor_id: int | None, note: str = "") -> KanbanLoop:
    loop = _lock_loop(loop_id)
    if not loop.on_hold:
        raise NotAllowed(
            _("Loop %(sku)s is not on hold.") % {"sku": loop.product.sku},
            field="loop",
            code="not_held",
        )
    loop.hold_reason, loop.hold_note, loop.held_at, loop.held_by_id = "", "", None, None
    loop.save(update_fields=["hold_reason", "hold_note", "held_at", "held_by"])
    cards = list(lock_cards(loop.cards.filter(status__in=ACTIVE_CARD_STATUSES)))
    for card in cards:
        card.loop_held = False
        card.version += 1
    _signal_released(cards, loop, actor_id)
    KanbanCard.objects.bulk_update(cards, ["loop_held", "version", *ORDER_FIELDS])
    HoldEvent.objects.create(
        loop=loop, action=HoldAction.RELEASE, note=note.strip()[:200], actor_id=actor_id
    )
    live.notify_lines_changed([loop.product.line_id])
    return loop


@transaction.atomic
def loop_issue_one_time_card(*, loop_id: int, reason: str, actor_id: int | None) -> KanbanCard:
    """A card for a demand spike: empty (one container to make), made once, then retired."""
    if not reason.strip():
        raise DomainError(_("Say why the extra card is needed."), field="reason")
    loop = KanbanLoop.objects.select_related("product__line", "location").filter(pk=loop_id).first()
    if loop is None:
        raise DomainError(_("Loop %(id)s does not exist.") % {"id": loop_id}, code="not_found")
    # The loop's stock level guards its card numbers, as in `loop_apply_sizing`.
    ensure_stock_levels([(loop.product_id, loop.location_id)])
    loop.refresh_from_db(fields=["archived_at"])
    ensure_active_loop(loop)
    number = (loop.cards.aggregate(n=Max("number"))["n"] or 0) + 1
    card = KanbanCard.objects.create(
        loop=loop,
        number=number,
        status=C.EMPTY,
        one_time=True,
        loop_held=loop.on_hold,
        status_changed_at=timezone.now(),
    )
    signal_cards([card], actor_id=actor_id, loops={loop.pk: loop})
    if has_order(card):
        card.save(update_fields=ORDER_FIELDS)
    CardEvent.objects.create(
        card=card,
        from_status="",
        to_status=C.EMPTY,
        reason=f"one-time card: {reason.strip()}"[:300],
        source=CardEventSource.PLANNER,
        actor_id=actor_id,
        work_order_id=card.work_order_id,
    )
    live.notify_lines_changed([loop.product.line_id])
    return card


__all__ = [
    "card_hold",
    "card_release",
    "loop_hold",
    "loop_issue_one_time_card",
    "loop_release",
]
