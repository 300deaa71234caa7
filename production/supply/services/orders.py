"""Call-offs and transfer orders: created by the pull signal, moved by one service per
transition, each writing its event (who, when) and bumping the version (If-Match).

Receiving puts the counted quantity into the order's location through the ledger (short
or over, with a reason); picking a transfer takes its quantity out of the source location
through the ledger, so the source's own loop drains and may signal in turn. Locks follow
the house order: stock levels, then the order (one receipt per order: the order's lock).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from production.bulk import bulk_insert_rows, bulk_insert_with_events
from production.errors import DomainError, NotAllowed, VersionConflict
from production.models import Location, MoveKind, Product
from production.services.stock import LedgerBatch, ensure_stock_levels, fill_backorders
from production.services.work_orders import quantity_text
from production.supply import events
from production.supply.locks import lock_call_offs, lock_transfer_orders
from production.supply.models import (
    CallOff,
    CallOffEvent,
    CallOffStatus,
    Supplier,
    TransferOrder,
    TransferOrderEvent,
    TransferStatus,
)
from production.supply.portal.mail import call_off_mails_queue
from production.supply.transitions import (
    CALL_OFF_PATH_TO_RECEIVED,
    CALL_OFF_TRANSITIONS,
    IN_TRANSIT,
    TIMESTAMP_OF,
    TRANSFER_PATH_TO_RECEIVED,
    TRANSFER_TRANSITIONS,
)

Order = CallOff | TransferOrder
# Told, in the order's transaction, that an order was received or cancelled by its own
# action (API, admin), not by its card: kanban registers one that moves the card.
OrderFollower = Callable[[Order, str, int | None], None]
_followers: list[OrderFollower] = []


def register_order_follower(follower: OrderFollower) -> None:
    if follower not in _followers:
        _followers.append(follower)


def due_after(start: datetime, lead_time_days: Decimal) -> datetime:
    return start + timedelta(days=float(lead_time_days))


@dataclass(frozen=True)
class NewCallOff:
    supplier: Supplier
    product: Product
    location: Location
    quantity: Decimal


@dataclass(frozen=True)
class NewTransferOrder:
    product: Product
    from_location: Location
    to_location: Location
    quantity: Decimal
    lead_time_days: Decimal


def call_offs_create_many(
    items: Sequence[NewCallOff], *, actor_id: int | None = None
) -> list[CallOff]:
    """Open call-offs of one container each, due after the supplier's lead time."""
    now = timezone.now()
    for item in items:
        if item.quantity <= 0:
            raise DomainError(_("Quantity must be greater than zero."), field="quantity")
        if item.supplier.archived_at is not None:
            raise NotAllowed(
                _("Supplier %(code)s is archived: it takes no call-offs.")
                % {"code": item.supplier.code},
                field="supplier",
                code="archived",
            )
    created = [
        CallOff(
            supplier=i.supplier,
            product=i.product,
            location=i.location,
            quantity=i.quantity,
            due_at=due_after(now, i.supplier.lead_time_days),
        )
        for i in items
    ]
    opened = CallOffEvent(to_status=CallOffStatus.OPEN, actor_id=actor_id)
    bulk_insert_with_events(created, event=opened, link="call_off")
    events.emit_call_offs_created(created)
    call_off_mails_queue(call_offs=created, new=True)  # each to its supplier, after commit
    return created


def transfer_orders_create_many(
    items: Sequence[NewTransferOrder], *, actor_id: int | None = None
) -> list[TransferOrder]:
    """Open transfer orders of one container each, due after the loop's transfer lead time."""
    now = timezone.now()
    for item in items:
        if item.quantity <= 0:
            raise DomainError(_("Quantity must be greater than zero."), field="quantity")
        if item.from_location.pk == item.to_location.pk:
            raise DomainError(_("A transfer goes between two locations."), field="source_location")
    created = [
        TransferOrder(
            product=i.product,
            from_location=i.from_location,
            to_location=i.to_location,
            quantity=i.quantity,
            due_at=due_after(now, i.lead_time_days),
        )
        for i in items
    ]
    opened = TransferOrderEvent(to_status=TransferStatus.OPEN, actor_id=actor_id)
    bulk_insert_with_events(created, event=opened, link="transfer_order")
    events.emit_transfer_orders_created(created)
    return created


def _label(order: Order) -> str:
    return f"CO-{order.pk}" if isinstance(order, CallOff) else f"TO-{order.pk}"


def _status_label(model: type[Order], status: str) -> str:
    choices = CallOffStatus if model is CallOff else TransferStatus
    return str(choices(status).label).lower()


@transaction.atomic
def _transition(
    model: type[Order],
    *,
    order_id: int,
    to: str,
    actor_id: int | None,
    reason: str = "",
    expected_version: int | None = None,
    quantity: Decimal | None = None,
    via_card: bool = False,
) -> Any:
    table = CALL_OFF_TRANSITIONS if model is CallOff else TRANSFER_TRANSITIONS
    kind = _("Call-off") if model is CallOff else _("Transfer order")
    current = model.objects.filter(pk=order_id).first()
    if current is None:
        raise DomainError(
            _("%(kind)s %(id)s does not exist.") % {"kind": kind, "id": order_id},
            code="not_found",
        )
    if to not in table:
        raise DomainError(_("Unknown status %(to)r.") % {"to": to}, field="status")
    # Stock levels first (house lock order), then the order.
    receipt_place = current.location_id if isinstance(current, CallOff) else current.to_location_id
    pairs = {(current.product_id, receipt_place)}
    if isinstance(current, TransferOrder):
        pairs.add((current.product_id, current.from_location_id))
    levels = ensure_stock_levels(pairs)
    locker = lock_call_offs if model is CallOff else lock_transfer_orders
    order = locker([order_id]).get()
    if expected_version is not None and order.version != expected_version:
        raise VersionConflict(
            _("%(order)s was changed by someone else (version %(now)s, you had %(had)s).")
            % {"order": _label(order), "now": order.version, "had": expected_version},
            current_version=order.version,
        )
    path: tuple[str, ...] = (to,)
    if via_card and to == "received":
        walk = CALL_OFF_PATH_TO_RECEIVED if model is CallOff else TRANSFER_PATH_TO_RECEIVED
        path = walk.get(order.status, (to,))
    status = order.status
    for step in path:
        if step not in table[status]:
            raise NotAllowed(
                _("%(order)s is %(from)s: it cannot become %(to)s.")
                % {
                    "order": _label(order),
                    "from": _status_label(model, order.status),
                    "to": _status_label(model, to),
                },
                field="status",
                code="out_of_sequence",
            )
        status = step
    if to == "cancelled" and via_card and order.status in IN_TRANSIT:
        raise NotAllowed(
            _(
                "%(order)s is %(status)s: it is on its way. Receive it, or cancel it on its own"
                " with a reason."
            )
            % {"order": _label(order), "status": _status_label(model, order.status)},
            field="status",
            code="in_transit",
        )
    if to == "cancelled" and not reason.strip():
        raise DomainError(_("Say why the order is cancelled."), field="reason")
    counted = order.quantity if quantity is None else Decimal(quantity)
    if to == "received":
        if counted <= 0:
            raise DomainError(
                _("The counted quantity must be greater than zero."), field="quantity"
            )
        if counted != order.quantity and not reason.strip():
            raise DomainError(
                _("%(counted)s counted against %(ordered)s ordered: say why.")
                % {"counted": quantity_text(counted), "ordered": quantity_text(order.quantity)},
                field="reason",
            )

    batch = LedgerBatch()
    now = timezone.now()
    rows = []
    from_status = order.status
    for step in path:
        if step == "picked":
            _pick(order, levels, batch, actor_id)
        put_back = step == "cancelled" and from_status == TransferStatus.PICKED
        if put_back:
            _put_back(order, levels, batch, actor_id)
        if step == "received":
            level = levels[(order.product_id, receipt_place)]
            batch.add(
                level,
                counted,
                kind=MoveKind.RECEIPT,
                actor_id=actor_id,
                note=f"{_label(order)} received",
            )
            fill_backorders(batch, level)
            order.received_quantity = counted
            order.receipt_reason = reason[:300] if counted != order.quantity else ""
        setattr(order, TIMESTAMP_OF[step], now)
        event_model = CallOffEvent if model is CallOff else TransferOrderEvent
        link = {"call_off": order} if model is CallOff else {"transfer_order": order}
        rows.append(
            event_model(
                **link,
                from_status=from_status,
                to_status=step,
                actor_id=actor_id,
                reason=reason[:300],
                quantity=counted if step in ("received", "picked") or put_back else None,
            )
        )
        from_status = step
    order.status = to
    order.version += 1
    order.save()
    bulk_insert_rows(rows)
    if not via_card and to in ("received", "cancelled"):
        # The card first (full, holding what was counted), then the stock: backorders the
        # receipt serves then drain the card that holds it, as they would at the line.
        for follower in _followers:
            follower(order, to, actor_id)
    if batch.moves:
        batch.write(actor_id=actor_id)
    if to == "shipped" and isinstance(order, CallOff):
        events.emit_call_off_shipped(order)
    if to == "received":
        events.emit_replenishment_received(order)
    return order


def _pick(
    order: Order, levels: dict[tuple[int, int], Any], batch: LedgerBatch, actor_id: int | None
) -> None:
    """Take the transfer's quantity out of its source; refused if the source cannot cover it
    (stock never goes negative: the transfer waits)."""
    assert isinstance(order, TransferOrder)
    level = levels[(order.product_id, order.from_location_id)]
    if level.on_hand < order.quantity:
        raise NotAllowed(
            _(
                "%(order)s waits for stock: %(place)s holds %(on_hand)s of the %(quantity)s "
                "it needs."
            )
            % {
                "order": _label(order),
                "place": order.from_location.code,
                "on_hand": quantity_text(level.on_hand),
                "quantity": quantity_text(order.quantity),
            },
            field="from_location",
            code="source_short",
        )
    batch.consume(level, order.quantity, actor_id=actor_id, note=f"{_label(order)} picked")


def _put_back(
    order: Order, levels: dict[tuple[int, int], Any], batch: LedgerBatch, actor_id: int | None
) -> None:
    """A picked transfer cancelled: what its pick took out goes back into the source through
    the ledger, serving backorders waiting there first. Like any stock that arrives without a
    card, it is loose stock beyond the source loop's cards (see stock corrections)."""
    assert isinstance(order, TransferOrder)
    level = levels[(order.product_id, order.from_location_id)]
    batch.add(
        level,
        order.quantity,
        kind=MoveKind.RECEIPT,
        actor_id=actor_id,
        note=f"{_label(order)} cancelled after picking: put back",
    )
    fill_backorders(batch, level)


def call_off_confirm(
    *, call_off_id: int, actor_id: int | None, expected_version: int | None = None
) -> CallOff:
    return _transition(
        CallOff,
        order_id=call_off_id,
        to=CallOffStatus.CONFIRMED,
        actor_id=actor_id,
        expected_version=expected_version,
    )


def call_off_ship(
    *, call_off_id: int, actor_id: int | None, expected_version: int | None = None
) -> CallOff:
    return _transition(
        CallOff,
        order_id=call_off_id,
        to=CallOffStatus.SHIPPED,
        actor_id=actor_id,
        expected_version=expected_version,
    )


def call_off_receive(
    *,
    call_off_id: int,
    actor_id: int | None,
    quantity: Decimal | None = None,
    reason: str = "",
    expected_version: int | None = None,
    via_card: bool = False,
) -> CallOff:
    """Receive a shipped call-off as counted (`quantity`; default what was ordered)."""
    return _transition(
        CallOff,
        order_id=call_off_id,
        to=CallOffStatus.RECEIVED,
        actor_id=actor_id,
        quantity=quantity,
        reason=reason,
        expected_version=expected_version,
        via_card=via_card,
    )


def call_off_cancel(
    *,
    call_off_id: int,
    actor_id: int | None,
    reason: str,
    expected_version: int | None = None,
    via_card: bool = False,
) -> CallOff:
    return _transition(
        CallOff,
        order_id=call_off_id,
        to=CallOffStatus.CANCELLED,
        actor_id=actor_id,
        reason=reason,
        expected_version=expected_version,
        via_card=via_card,
    )


def transfer_order_pick(
    *,
    transfer_order_id: int,
    actor_id: int | None,
    expected_version: int | None = None,
) -> TransferOrder:
    return _transition(
        TransferOrder,
        order_id=transfer_order_id,
        to=TransferStatus.PICKED,
        actor_id=actor_id,
        expected_version=expected_version,
    )


def transfer_order_receive(
    *,
    transfer_order_id: int,
    actor_id: int | None,
    quantity: Decimal | None = None,
    reason: str = "",
    expected_version: int | None = None,
    via_card: bool = False,
) -> TransferOrder:
    """Receive a picked transfer as counted; from its card, an open one is picked first."""
    return _transition(
        TransferOrder,
        order_id=transfer_order_id,
        to=TransferStatus.RECEIVED,
        actor_id=actor_id,
        quantity=quantity,
        reason=reason,
        expected_version=expected_version,
        via_card=via_card,
    )


def transfer_order_cancel(
    *,
    transfer_order_id: int,
    actor_id: int | None,
    reason: str,
    expected_version: int | None = None,
    via_card: bool = False,
) -> TransferOrder:
    return _transition(
        TransferOrder,
        order_id=transfer_order_id,
        to=TransferStatus.CANCELLED,
        actor_id=actor_id,
        reason=reason,
        expected_version=expected_version,
        via_card=via_card,
    )
