"""Mistakes put right, for a short time: each move of a card on the board can be taken back
(opened, marked empty, started, finished).

Only by whoever made the move, within `PULLBOARD_UNDO_SECONDS` (default 120), while the
move is still the card's last. The undo is a move of its own (a reversing event that
points to the move it undoes), never a deletion:

- *mark empty*, while its work order has not started: the stock the move booked out comes
  back by a ledger adjustment, the planned work order of its signal is cancelled, and the
  card is full (or in use) again;
- *start* (a made container put in process), while its work order is in progress: the
  order is released again, the components its start consumed come back by adjustments
  (`work_order_unstart`), and the card is empty (to make) again, its signal still standing;
- *finish*, while the container is still full and all it received is still in stock: the
  order is in progress again, its output taken back out by an adjustment and the ERP told
  (`work_order_reopen`, `work_order.reopened`), its signal open again, the card in process;
- *open* (a full container taken into use): it is full again (no stock moved).

A move that something followed (demand drained the container, work started on it) cannot
be taken back: a count or a stock adjustment puts that right.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kanban.locks import lock_card_ids
from kanban.models import CardEvent, CardEventSource, CardStatus, KanbanCard, PullSignal
from production import live
from production.errors import DomainError, NotAllowed
from production.models import MoveKind, WorkOrder, WorkOrderStatus
from production.services.stock import LedgerBatch, ensure_stock_levels
from production.services.work_order_reversals import (
    work_order_consumed,
    work_order_reopen,
    work_order_unstart,
)
from production.services.work_orders import work_order_transition

C = CardStatus
UNDO_START = "undo: started by mistake"
UNDO_FINISH = "undo: finished by mistake"
UNDO_OPEN = "undo: opened by mistake"


def undo_seconds() -> int:
    return int(settings.PULLBOARD.get("UNDO_SECONDS", 120))


MARK_EMPTY, START, FINISH, OPEN = "mark_empty", "start", "finish", "open"


def undo_kind(event: CardEvent) -> str | None:
    """Which undoable move `event` is (the start and finish of a made container only: a
    supplier's or a transfer's card follows its order's own steps), or None."""
    made = event.work_order_id is not None
    if event.to_status == C.EMPTY and event.from_status in (C.FULL, C.IN_USE):
        return MARK_EMPTY
    if (event.from_status, event.to_status) == (C.EMPTY, C.IN_PROCESS) and made:
        return START
    if (event.from_status, event.to_status) == (C.IN_PROCESS, C.FULL) and made:
        return FINISH
    if (event.from_status, event.to_status) == (C.FULL, C.IN_USE):
        return OPEN
    return None


def undoable(event: CardEvent, *, actor_id: int | None) -> bool:
    """Whether `event` is a move the actor may still undo (before any lock)."""
    return (
        undo_kind(event) is not None
        and event.actor_id is not None
        and event.actor_id == actor_id
        and event.created_at >= timezone.now() - timedelta(seconds=undo_seconds())
    )


@transaction.atomic
def card_move_undo(*, card_id: int, event_id: int, actor_id: int | None) -> KanbanCard:
    event = (
        CardEvent.objects.select_related("card__loop__product")
        .filter(pk=event_id, card_id=card_id)
        .first()
    )
    if event is None:
        raise DomainError(_("There is no such move of this card to undo."), code="not_found")
    if not undoable(event, actor_id=actor_id):
        raise NotAllowed(
            _("Only a move you made in the last %(minutes)d min can be put back.")
            % {"minutes": undo_seconds() // 60},
            field="event",
            code="not_undoable",
        )
    kind = undo_kind(event)
    if kind == START:
        return _undo_start(event, actor_id=actor_id)
    if kind == FINISH:
        return _undo_finish(event, actor_id=actor_id)
    if kind == OPEN:
        return _undo_open(event, actor_id=actor_id)
    loop = event.card.loop
    key = (loop.product_id, loop.location_id)
    level = ensure_stock_levels([key])[key]  # house lock order: stock levels, then cards
    card = lock_card_ids([card_id]).select_related("work_order").get()
    latest = CardEvent.objects.filter(card_id=card_id).order_by("-created_at", "-id").first()
    started = card.work_order is not None and card.work_order.status != WorkOrderStatus.PLANNED
    if latest is None or latest.pk != event.pk or card.status != C.EMPTY or started:
        raise NotAllowed(
            _("The card has moved on since (or its work has started): it cannot be put back."),
            field="event",
            code="not_undoable",
        )
    quantity = event.quantity or Decimal("0")
    if quantity:
        batch = LedgerBatch()
        batch.add(
            level,
            quantity,
            kind=MoveKind.ADJUSTMENT,
            actor_id=actor_id,
            note=f"card #{card.number} put back: marked empty by mistake",
        )
        batch.write(actor_id=actor_id)
    order_id = card.work_order_id
    if order_id is not None:
        work_order_transition(
            work_order_id=order_id,
            to=WorkOrderStatus.CANCELLED,
            actor_id=actor_id,
            reason="undo: the container was not empty",
            via_card=True,
        )
    card.status = event.from_status
    card.remaining_quantity = quantity
    card.work_order = None
    card.version += 1
    card.status_changed_at = timezone.now()
    card.save(
        update_fields=["status", "remaining_quantity", "work_order", "version", "status_changed_at"]
    )
    CardEvent.objects.create(
        card=card,
        from_status=C.EMPTY,
        to_status=event.from_status,
        reason="undo: marked empty by mistake",
        source=CardEventSource.BOARD,
        actor_id=actor_id,
        work_order_id=order_id,
        undoes=event,
    )
    live.notify_lines_changed([loop.product.line_id])
    return card


def _undo_start(event: CardEvent, *, actor_id: int | None) -> KanbanCard:
    order_id = event.work_order_id
    assert order_id is not None
    # House lock order: stock levels (the components', which come back), cards, work orders.
    ensure_stock_levels({(p, loc) for p, loc, _ in work_order_consumed(order_id)})
    card = lock_card_ids([event.card_id]).select_related("work_order").get()
    in_progress = (
        card.work_order_id == order_id
        and card.work_order is not None
        and card.work_order.status == WorkOrderStatus.IN_PROGRESS
    )
    if not _is_last(event, card) or card.status != C.IN_PROCESS or not in_progress:
        raise _moved_on()
    work_order_unstart(work_order_id=order_id, actor_id=actor_id, reason=UNDO_START)
    return _put_back(card, event, actor_id=actor_id, reason=UNDO_START, fields=[])


def _moved_on() -> NotAllowed:
    return NotAllowed(
        _("The card has moved on since (or its work is done): it cannot be put back."),
        field="event",
        code="not_undoable",
    )


def _is_last(event: CardEvent, card: KanbanCard) -> bool:
    latest = CardEvent.objects.filter(card_id=card.pk).order_by("-created_at", "-id").first()
    return latest is not None and latest.pk == event.pk


def _put_back(
    card: KanbanCard, event: CardEvent, *, actor_id: int | None, reason: str, fields: list[str]
) -> KanbanCard:
    """The card back where `event` took it from, with the reversing event."""
    card.status = event.from_status
    card.version += 1
    card.status_changed_at = timezone.now()
    card.save(update_fields=["status", "version", "status_changed_at", *fields])
    CardEvent.objects.create(
        card=card,
        from_status=event.to_status,
        to_status=event.from_status,
        reason=reason,
        source=CardEventSource.BOARD,
        actor_id=actor_id,
        work_order_id=event.work_order_id,
        undoes=event,
    )
    live.notify_lines_changed([event.card.loop.product.line_id])
    return card


def _undo_finish(event: CardEvent, *, actor_id: int | None) -> KanbanCard:
    order_id = event.work_order_id
    assert order_id is not None
    loop = event.card.loop
    key = (loop.product_id, loop.location_id)
    ensure_stock_levels([key])  # house lock order: stock levels, cards, work orders
    card = lock_card_ids([event.card_id]).get()
    order = WorkOrder.objects.filter(pk=order_id).only("quantity").first()
    still_full = order is not None and card.remaining_quantity == order.quantity
    if not _is_last(event, card) or card.status != C.FULL or not still_full:
        raise _moved_on()
    work_order_reopen(work_order_id=order_id, actor_id=actor_id, reason=UNDO_FINISH)
    PullSignal.objects.filter(work_order_id=order_id).update(fulfilled_at=None)
    card.work_order_id = order_id
    card.remaining_quantity = Decimal("0")
    return _put_back(
        card,
        event,
        actor_id=actor_id,
        reason=UNDO_FINISH,
        fields=["work_order", "remaining_quantity"],
    )


def _undo_open(event: CardEvent, *, actor_id: int | None) -> KanbanCard:
    card = lock_card_ids([event.card_id]).get()
    if not _is_last(event, card) or card.status != C.IN_USE:
        raise _moved_on()
    return _put_back(card, event, actor_id=actor_id, reason=UNDO_OPEN, fields=[])
