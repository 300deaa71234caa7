"""A card's replenishment by its loop's source: the order a signal makes (a work order,
a call-off or a transfer order), and what the card does when that order is received.

The pull engine's signal (`kanban.policy.signal_cards`) hands the signalled cards here;
card moves receive the card's order (`card_receive_order`); an order received or
cancelled by its own action (the API) moves its card (`follow_order`, registered with
`production.supply` when the app loads: kanban builds on production, never the reverse).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils import timezone

from kanban.models import (
    CardEvent,
    CardEventSource,
    CardStatus,
    KanbanCard,
    KanbanLoop,
    PullSignal,
)
from production.bulk import bulk_insert_rows
from production.models import WorkOrderOrigin
from production.supply.models import CallOff, ReplenishmentSource, TransferOrder
from production.supply.services import (
    NewCallOff,
    NewTransferOrder,
    call_off_receive,
    call_offs_create_many,
    transfer_order_receive,
    transfer_orders_create_many,
)

SOURCE = ReplenishmentSource
# A card's order of the current cycle, whichever the source (saved together).
ORDER_FIELDS = ["work_order", "call_off", "transfer_order"]
NO_ORDER = {"work_order__isnull": True, "call_off__isnull": True, "transfer_order__isnull": True}
DEFAULT_TRANSFER_LEAD_TIME_DAYS = Decimal("1")


def signal_orders(
    cards: Sequence[KanbanCard], loops: dict[int, KanbanLoop], *, actor_id: int | None
) -> None:
    """One order of one container per card, of its loop's source; the caller saves cards."""
    from production.services.work_orders import NewWorkOrder, work_orders_create_many

    by_source: dict[str, list[KanbanCard]] = {}
    for card in cards:
        by_source.setdefault(loops[card.loop_id].source, []).append(card)
    signals: list[PullSignal] = []
    made = by_source.get(SOURCE.PRODUCTION, [])
    if made:
        orders = work_orders_create_many(
            [
                NewWorkOrder(
                    product=loops[c.loop_id].product,
                    quantity=loops[c.loop_id].container_quantity,
                    origin=WorkOrderOrigin.KANBAN,
                    location=loops[c.loop_id].location,
                )
                for c in made
            ],
            actor_id=actor_id,
        )
        for card, order in zip(made, orders, strict=True):
            card.work_order = order
            signals.append(PullSignal(card=card, work_order=order))
    bought = by_source.get(SOURCE.SUPPLIER, [])
    if bought:
        call_offs = call_offs_create_many(
            [
                NewCallOff(
                    supplier=loops[c.loop_id].supplier,  # type: ignore[arg-type]
                    product=loops[c.loop_id].product,
                    location=loops[c.loop_id].location,
                    quantity=loops[c.loop_id].container_quantity,
                )
                for c in bought
            ],
            actor_id=actor_id,
        )
        for card, call_off in zip(bought, call_offs, strict=True):
            card.call_off = call_off
            signals.append(PullSignal(card=card, call_off=call_off))
    moved = by_source.get(SOURCE.TRANSFER, [])
    if moved:
        transfers = transfer_orders_create_many(
            [
                NewTransferOrder(
                    product=loops[c.loop_id].product,
                    from_location=loops[c.loop_id].source_location,  # type: ignore[arg-type]
                    to_location=loops[c.loop_id].location,
                    quantity=loops[c.loop_id].container_quantity,
                    lead_time_days=loops[c.loop_id].transfer_lead_time_days
                    or DEFAULT_TRANSFER_LEAD_TIME_DAYS,
                )
                for c in moved
            ],
            actor_id=actor_id,
        )
        for card, transfer in zip(moved, transfers, strict=True):
            card.transfer_order = transfer
            signals.append(PullSignal(card=card, transfer_order=transfer))
    bulk_insert_rows(signals)


def has_order(card: KanbanCard) -> bool:
    return bool(card.work_order_id or card.call_off_id or card.transfer_order_id)


def card_receive_order(card: KanbanCard, *, actor_id: int | None) -> bool:
    """The card went full at the plant (board, scan, API): receive its call-off or transfer
    (one container, the steps nobody recorded walked through). False: no such order."""
    if card.call_off_id is not None:
        call_off_receive(call_off_id=card.call_off_id, actor_id=actor_id, via_card=True)
        PullSignal.objects.filter(call_off_id=card.call_off_id).update(fulfilled_at=timezone.now())
        return True
    if card.transfer_order_id is not None:
        transfer_order_receive(
            transfer_order_id=card.transfer_order_id, actor_id=actor_id, via_card=True
        )
        PullSignal.objects.filter(transfer_order_id=card.transfer_order_id).update(
            fulfilled_at=timezone.now()
        )
        return True
    return False


def follow_order(order: CallOff | TransferOrder, to: str, actor_id: int | None) -> None:
    """An order was received (its card goes full, holding what was counted) or cancelled
    (its card stays empty, without an order: it signals again when started)."""
    from kanban.locks import lock_card_ids

    link = (
        {"call_off_id": order.pk} if isinstance(order, CallOff) else {"transfer_order_id": order.pk}
    )
    ids = list(KanbanCard.objects.filter(**link).values_list("pk", flat=True))
    if not ids:
        return
    now = timezone.now()
    for card in lock_card_ids(ids):
        from_status = card.status
        if to == "received":
            card.status = CardStatus.FULL
            card.remaining_quantity = order.received_quantity or order.quantity
        card.call_off = None
        card.transfer_order = None
        card.version += 1
        card.status_changed_at = now
        card.save(
            update_fields=[
                "status",
                "remaining_quantity",
                "call_off",
                "transfer_order",
                "version",
                "status_changed_at",
            ]
        )
        CardEvent.objects.create(
            card=card,
            from_status=from_status,
            to_status=card.status,
            source=CardEventSource.API,
            actor_id=actor_id,
            reason=f"{'CO' if isinstance(order, CallOff) else 'TO'}-{order.pk} {to}",
        )
    if to == "received":
        PullSignal.objects.filter(**link).update(fulfilled_at=now)
