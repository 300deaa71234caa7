"""Card moves: the card cycle, with the stock and work-order effects of each move."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kanban.locks import lock_card_ids
from kanban.models import CardEvent, CardEventSource, CardStatus, KanbanCard, PullSignal
from kanban.policy import ONE_TIME_RETIRED, signal_cards
from kanban.replenish import ORDER_FIELDS, card_receive_order, has_order
from production import live
from production.errors import DomainError, NotAllowed, VersionConflict
from production.locks import lock_lines
from production.models import MoveKind, WorkOrderStatus
from production.services.stock import LedgerBatch, ensure_stock_levels
from production.services.work_orders import work_order_transition
from production.supply.models import ReplenishmentSource, TransferOrder, TransferStatus
from production.supply.services import (
    call_off_cancel,
    transfer_order_cancel,
    transfer_order_pick,
)

C = CardStatus

CARD_TRANSITIONS: dict[str, frozenset[str]] = {
    C.FULL: frozenset({C.IN_USE, C.EMPTY, C.RETIRED}),
    C.IN_USE: frozenset({C.EMPTY}),
    C.EMPTY: frozenset({C.IN_PROCESS, C.RETIRED}),
    C.IN_PROCESS: frozenset({C.FULL}),
    C.RETIRED: frozenset(),
}

# Why a move is refused, in the words shown to the operator (in their language).
WHY_NOT: dict[tuple[str, str], Any] = {
    (C.IN_USE, C.FULL): gettext_lazy(
        "a container in use cannot be full again until it is emptied and made"
    ),
    (C.EMPTY, C.FULL): gettext_lazy(
        "an empty container must be made (in process) before it is full"
    ),
    (C.FULL, C.IN_PROCESS): gettext_lazy("a full container has nothing to make"),
    (C.IN_PROCESS, C.EMPTY): gettext_lazy("work has started on this container"),
    (C.IN_USE, C.RETIRED): gettext_lazy("only a full or empty card can be retired"),
    (C.IN_PROCESS, C.RETIRED): gettext_lazy("only a full or empty card can be retired"),
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
        raise DomainError(_("Card %(id)s does not exist.") % {"id": card_id}, code="not_found")
    if to not in CARD_TRANSITIONS:
        raise DomainError(
            _("Unknown status %(to)r; use one of %(statuses)s.")
            % {"to": to, "statuses": ", ".join(CARD_TRANSITIONS)},
            field="to",
        )
    loop, product = current.loop, current.loop.product
    line = product.line
    made = loop.source == ReplenishmentSource.PRODUCTION
    pairs = {(product.pk, loop.location_id)}
    if loop.source == ReplenishmentSource.TRANSFER and loop.source_location_id:
        pairs.add((product.pk, loop.source_location_id))  # a pick takes from there
    if to == C.IN_PROCESS and made and line is not None:
        # The WIP limit spans every card of the line: two starts on one line count the
        # cards in process one after the other, under the line's lock.
        line = lock_lines([line.pk]).get()
        pairs |= {
            (b.component_id, b.component.supermarket_id)
            for b in product.bom_lines.select_related("component")
        }
    # House lock order (production.locks): line, stock levels, cards, work orders.
    ensure_stock_levels(pairs)
    card = lock_card_ids([card_id]).get()
    if expected_version is not None and card.version != expected_version:
        raise VersionConflict(
            _("Card %(sku)s #%(number)s was moved by someone else: it is now %(status)s.")
            % {
                "sku": product.sku,
                "number": card.number,
                "status": str(card.get_status_display()).lower(),
            },
            current_version=card.version,
        )
    received_at_plant = not made and card.status == C.EMPTY and to == C.FULL
    if to not in CARD_TRANSITIONS[card.status] and not received_at_plant:
        why = WHY_NOT.get((card.status, to)) or _("that move is not part of the card cycle")
        raise NotAllowed(
            _("Card %(sku)s #%(number)s cannot go from %(from)s to %(to)s: %(why)s.")
            % {
                "sku": product.sku,
                "number": card.number,
                "from": str(card.get_status_display()).lower(),
                "to": str(C(to).label).lower(),
                "why": why,
            },
            field="to",
        )
    if (
        line is not None
        and line.mode != "pull"
        and not (card.status == C.IN_PROCESS and to == C.FULL)
    ):
        raise NotAllowed(
            _(
                "Line %(line)s runs in push mode: its cards are parked. "
                "Work already in process can still be finished."
            )
            % {"line": line.code},
            field="to",
            code="parked",
        )

    if to == C.IN_PROCESS and (card.signals_held or loop.on_hold):
        held = card if card.on_hold else loop
        raise NotAllowed(
            _(
                "Card %(sku)s #%(number)s is on hold (%(hold)s): release the hold before starting it."
            )
            % {"sku": product.sku, "number": card.number, "hold": held.hold_text or loop.hold_text},
            field="to",
            code="on_hold",
        )

    override = False
    booked = None
    from_status = card.status
    if to == C.EMPTY and card.one_time:  # a one-time card is made once: used up, it retires
        _empty_container(card, actor_id=actor_id, signal=False)
        to, reason = C.RETIRED, reason or ONE_TIME_RETIRED
    elif to == C.EMPTY:
        booked = _empty_container(card, actor_id=actor_id)
    elif to == C.IN_PROCESS and made:
        override = _check_wip(line, wip_override_reason)
        _start_work(card, actor_id=actor_id)
    elif to == C.IN_PROCESS:
        _start_replenishment(card, actor_id=actor_id)
    elif to == C.FULL:
        # A container is filled with what its order made: after a change of the loop's
        # container quantity, a card signalled before it comes back with the old quantity.
        order = card.work_order if card.work_order_id is not None else None
        card.remaining_quantity = order.quantity if order else loop.container_quantity
    elif to == C.RETIRED:
        _retire(card, actor_id=actor_id)

    card.status = to
    card.version += 1
    card.status_changed_at = timezone.now()
    work_order_id = card.work_order_id
    ordered = KanbanCard(call_off_id=card.call_off_id, transfer_order_id=card.transfer_order_id)
    if to in (C.FULL, C.RETIRED):
        card.work_order = card.call_off = card.transfer_order = None
    card.save(
        update_fields=[
            "status",
            "version",
            "status_changed_at",
            "remaining_quantity",
            *ORDER_FIELDS,
        ]
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
        quantity=booked,
    )
    if to == C.FULL and work_order_id is not None:
        # Receiving the container may serve backorders, which drain containers again.
        work_order_transition(
            work_order_id=work_order_id, to=WorkOrderStatus.DONE, actor_id=actor_id, via_card=True
        )
        PullSignal.objects.filter(work_order_id=work_order_id).update(fulfilled_at=timezone.now())
        card.refresh_from_db()
    elif to == C.FULL and card_receive_order(ordered, actor_id=actor_id):
        card.refresh_from_db()  # the receipt may serve backorders, which drain it again
    elif to == C.FULL:
        _receive_without_order(card, actor_id=actor_id)
        card.refresh_from_db()
    elif to == C.RETIRED:
        _cancel_replenishment(ordered, actor_id=actor_id)
    live.notify_lines_changed([product.line_id])
    return card


def _empty_container(card: KanbanCard, *, actor_id: int | None, signal: bool = True) -> Decimal:
    """Book what the container still held out of stock; returns what was booked."""
    booked = Decimal("0")
    if card.remaining_quantity > 0:
        key = (card.loop.product_id, card.loop.location_id)
        level = ensure_stock_levels([key])[key]
        batch = LedgerBatch()
        uncovered = batch.consume(
            level,
            card.remaining_quantity,
            actor_id=actor_id,
            notify=False,
            note=f"card #{card.number} emptied at the line",
        )
        batch.write(actor_id=actor_id)
        booked = card.remaining_quantity - uncovered
        card.remaining_quantity = Decimal("0")
    card.status = C.EMPTY
    if signal:
        signal_cards([card], actor_id=actor_id)
    return booked


def _check_wip(line: Any, override_reason: str) -> bool:
    in_process = wip_in_process(line.pk)
    if in_process < line.wip_limit:
        return False
    if not override_reason.strip():
        raise NotAllowed(
            _(
                "Line %(line)s already has %(count)d containers in process "
                "(WIP limit %(limit)d). Give a reason to override."
            )
            % {"line": line.code, "count": in_process, "limit": line.wip_limit},
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


def _start_replenishment(card: KanbanCard, *, actor_id: int | None) -> None:
    """A supplier or transfer card on its way: its order is made if it has none (a parked
    or grown card); a transfer is picked, which takes its quantity out of the source (and
    is refused, with what it waits for, if the source cannot cover it)."""
    if not has_order(card):
        signal_cards([card], actor_id=actor_id)
        card.save(update_fields=ORDER_FIELDS)
    if card.transfer_order_id is not None:
        status = TransferOrder.objects.values_list("status", flat=True).get(
            pk=card.transfer_order_id
        )
        if status == TransferStatus.OPEN:
            transfer_order_pick(transfer_order_id=card.transfer_order_id, actor_id=actor_id)


def _cancel_replenishment(ordered: KanbanCard, *, actor_id: int | None) -> None:
    reason = "card retired"
    if ordered.call_off_id is not None:
        call_off_cancel(
            call_off_id=ordered.call_off_id, actor_id=actor_id, reason=reason, via_card=True
        )
    if ordered.transfer_order_id is not None:
        transfer_order_cancel(
            transfer_order_id=ordered.transfer_order_id,
            actor_id=actor_id,
            reason=reason,
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
