"""Mistakes put right: a container marked empty by mistake is put back, for a short time.

Only by whoever made the move, within `PULLBOARD_UNDO_SECONDS` (default 120), while the
move is still the card's last and its work order has not started. The undo is a move of
its own (a reversing event that points to the move it undoes), never a deletion: the
stock the move booked out comes back by a ledger adjustment, the planned work order of
its signal is cancelled, and the card is full (or in use) again.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kanban.locks import lock_card_ids
from kanban.models import CardEvent, CardEventSource, CardStatus, KanbanCard
from production import live
from production.errors import DomainError, NotAllowed
from production.models import MoveKind, WorkOrderStatus
from production.services.stock import LedgerBatch, ensure_stock_levels
from production.services.work_orders import work_order_transition

C = CardStatus


def undo_seconds() -> int:
    return int(settings.PULLBOARD.get("UNDO_SECONDS", 120))


def undoable(event: CardEvent, *, actor_id: int | None) -> bool:
    """Whether `event` is a mark-empty the actor may still undo (before any lock)."""
    return (
        event.to_status == C.EMPTY
        and event.from_status in (C.FULL, C.IN_USE)
        and event.actor_id is not None
        and event.actor_id == actor_id
        and event.created_at >= timezone.now() - timedelta(seconds=undo_seconds())
    )


@transaction.atomic
def card_move_undo(*, card_id: int, event_id: int, actor_id: int | None) -> KanbanCard:
    event = (
        CardEvent.objects.select_related("card__loop").filter(pk=event_id, card_id=card_id).first()
    )
    if event is None:
        raise DomainError(_("There is no such move of this card to undo."), code="not_found")
    if not undoable(event, actor_id=actor_id):
        raise NotAllowed(
            _("Only a container you marked empty in the last %(minutes)d min can be put back.")
            % {"minutes": undo_seconds() // 60},
            field="event",
            code="not_undoable",
        )
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
