"""Webhook payloads of replenishment orders (`call_off.*`, `transfer_order.created`,
`replenishment.*`), emitted by the supply services inside their transactions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from production.models import Location, Product
from production.supply.models import CallOff, Supplier, TransferOrder
from production.webhooks.dispatch import webhook_emit
from production.webhooks.models import WebhookEventType as Event


def _q(value: Any) -> str | None:
    return None if value is None else f"{value:.3f}"


def order_payloads(orders: Sequence[CallOff | TransferOrder]) -> list[dict[str, Any]]:
    """Payloads of call-offs and transfer orders (a few queries whatever their number)."""
    skus = dict(
        Product.objects.filter(pk__in={o.product_id for o in orders}).values_list("pk", "sku")
    )
    place_ids: set[int] = set()
    supplier_ids: set[int] = set()
    for o in orders:
        if isinstance(o, CallOff):
            place_ids.add(o.location_id)
            supplier_ids.add(o.supplier_id)
        else:
            place_ids |= {o.from_location_id, o.to_location_id}
    places = dict(Location.objects.filter(pk__in=place_ids).values_list("pk", "code"))
    suppliers = dict(Supplier.objects.filter(pk__in=supplier_ids).values_list("pk", "code"))
    out = []
    for o in orders:
        common = {
            "id": o.pk,
            "product": skus[o.product_id],
            "quantity": _q(o.quantity),
            "received_quantity": _q(o.received_quantity),
            "status": o.status,
            "version": o.version,
            "due_at": o.due_at,
            "late": o.late_at is not None,
            "created_at": o.created_at,
        }
        if isinstance(o, CallOff):
            out.append(
                {
                    "kind": "call_off",
                    **common,
                    "supplier": suppliers[o.supplier_id],
                    "location": places[o.location_id],
                }
            )
        else:
            out.append(
                {
                    "kind": "transfer_order",
                    **common,
                    "from_location": places[o.from_location_id],
                    "to_location": places[o.to_location_id],
                }
            )
    return out


def emit_orders(event_type: str, orders: Sequence[CallOff | TransferOrder]) -> None:
    if orders:
        webhook_emit(event_type, lambda: order_payloads(orders))


def emit_call_offs_created(orders: Sequence[CallOff]) -> None:
    emit_orders(Event.CALL_OFF_CREATED, orders)


def emit_call_off_shipped(order: CallOff) -> None:
    emit_orders(Event.CALL_OFF_SHIPPED, [order])


def emit_transfer_orders_created(orders: Sequence[TransferOrder]) -> None:
    emit_orders(Event.TRANSFER_ORDER_CREATED, orders)


def emit_replenishment_received(order: CallOff | TransferOrder) -> None:
    emit_orders(Event.REPLENISHMENT_RECEIVED, [order])


def emit_replenishment_late(orders: Sequence[CallOff | TransferOrder]) -> None:
    emit_orders(Event.REPLENISHMENT_LATE, orders)
