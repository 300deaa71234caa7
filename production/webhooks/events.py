"""The webhook events the domain emits, and their payloads (the `data` of each body).

Each `emit_*` is called by a service inside its transaction; payloads are built
only when somebody subscribes to the event type.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from production.webhooks.dispatch import subscriptions_for, webhook_emit
from production.webhooks.models import WebhookEventType as Event


def _q(value: Decimal) -> str:
    return f"{Decimal(value):.3f}"


def demand_received_subscribed() -> bool:
    """Whether anybody subscribes to `demand.received` (as `webhook_emit` would see it)."""
    return bool(subscriptions_for(Event.DEMAND_RECEIVED))


def emit_demand_received(events: Sequence[Any], skus: dict[int, str]) -> None:
    """`skus`: product id -> SKU of the events' products."""

    def payloads() -> list[dict[str, Any]]:
        return [
            {
                "id": e.pk,
                "external_id": e.external_id,
                "source": e.source,
                "product": skus[e.product_id],
                "quantity": _q(e.quantity),
                "occurred_at": e.occurred_at,
            }
            for e in events
        ]

    if events:
        webhook_emit(Event.DEMAND_RECEIVED, payloads)


def emit_work_orders(event_type: str, orders: Sequence[Any]) -> None:
    from production.models import Location, Product, ProductionLine

    def payloads() -> list[dict[str, Any]]:
        skus = dict(
            Product.objects.filter(pk__in={o.product_id for o in orders}).values_list("pk", "sku")
        )
        lines = dict(
            ProductionLine.objects.filter(pk__in={o.line_id for o in orders}).values_list(
                "pk", "code"
            )
        )
        places = dict(
            Location.objects.filter(pk__in={o.location_id for o in orders}).values_list(
                "pk", "code"
            )
        )
        return [
            {
                "id": o.pk,
                "product": skus[o.product_id],
                "quantity": _q(o.quantity),
                "line": lines[o.line_id],
                "location": places[o.location_id],
                "origin": o.origin,
                "status": o.status,
                "version": o.version,
                "due_at": o.due_at,
                "created_at": o.created_at,
                "completed_at": o.completed_at,
            }
            for o in orders
        ]

    if orders:
        webhook_emit(event_type, payloads)


def emit_work_orders_created(orders: Sequence[Any]) -> None:
    emit_work_orders(Event.WORK_ORDER_CREATED, orders)


def emit_work_order_completed(order: Any) -> None:
    emit_work_orders(Event.WORK_ORDER_COMPLETED, [order])


def emit_work_order_reopened(order: Any) -> None:
    emit_work_orders(Event.WORK_ORDER_REOPENED, [order])


def emit_cards_signalled(cards: Sequence[Any], skus: dict[int, str]) -> None:
    """`skus`: loop id -> product SKU of the cards' loops."""

    def payloads() -> list[dict[str, Any]]:
        return [
            {
                "card": c.pk,
                "loop": c.loop_id,
                "number": c.number,
                "product": skus[c.loop_id],
                "work_order": c.work_order_id,
            }
            for c in cards
        ]

    if cards:
        webhook_emit(Event.CARD_SIGNALLED, payloads)


def emit_line_mode_changed(switch: Any) -> None:
    webhook_emit(
        Event.LINE_MODE_CHANGED,
        lambda: [
            {
                "line": switch.line.code,
                "from_mode": switch.from_mode,
                "to_mode": switch.to_mode,
                "reason": switch.reason,
                "effective_at": switch.effective_at,
                "switched_by": switch.switched_by_id,
            }
        ],
    )


def emit_stock_below_minimum(levels: Iterable[Any], moves: Iterable[Any]) -> None:
    """Levels that a batch took from at or above their minimum to below it.

    The minimum is the one set on the kanban loop of that product and location (empty:
    one container of the loop); a product's supermarket without a loop keeps one full
    container of the product (`container_quantity`).
    """
    from production.models import Location, Product

    delta: dict[tuple[int, int], Decimal] = {}
    for move in moves:
        key = (move.product_id, move.location_id)
        delta[key] = delta.get(key, Decimal("0")) + Decimal(move.quantity)
    dropped = [lvl for lvl in levels if delta.get((lvl.product_id, lvl.location_id), 0) < 0]
    if not dropped:
        return

    def payloads() -> list[dict[str, Any]]:
        product_ids = {lvl.product_id for lvl in dropped}
        products = Product.objects.in_bulk(product_ids)
        places = dict(
            Location.objects.filter(pk__in={lvl.location_id for lvl in dropped}).values_list(
                "pk", "code"
            )
        )
        # The loops' own minimums, read by the reverse relation (kanban builds on us).
        minimums: dict[tuple[int, int], Decimal] = {
            (pk, location_id): (minimum if minimum is not None else container)
            for pk, location_id, minimum, container in Product.objects.filter(
                pk__in=product_ids, kanban_loops__isnull=False
            ).values_list(
                "pk",
                "kanban_loops__location_id",
                "kanban_loops__minimum",
                "kanban_loops__container_quantity",
            )
        }
        out = []
        for lvl in dropped:
            product = products[lvl.product_id]
            key = (lvl.product_id, lvl.location_id)
            before = lvl.on_hand - delta[key]
            minimum = minimums.get(key)
            if minimum is None and lvl.location_id == product.supermarket_id:
                minimum = product.container_quantity
            if minimum is not None and lvl.on_hand < minimum <= before:
                out.append(
                    {
                        "product": product.sku,
                        "location": places[lvl.location_id],
                        "on_hand": _q(lvl.on_hand),
                        "minimum": _q(minimum),
                    }
                )
        return out

    webhook_emit(Event.STOCK_BELOW_MINIMUM, payloads)
