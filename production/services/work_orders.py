"""Work orders: one explicit table of allowed transitions, one service that applies it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from production import live
from production.bulk import bulk_insert_rows, bulk_insert_with_events, bulk_update_rows
from production.errors import DomainError, NotAllowed, VersionConflict
from production.locks import lock_work_orders
from production.models import (
    Location,
    MoveKind,
    Product,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderOrigin,
    WorkOrderStatus,
)
from production.services.locations import ensure_active_location, ensure_active_product
from production.services.stock import LedgerBatch, ensure_stock_levels, fill_backorders
from production.webhooks.events import emit_work_order_completed, emit_work_orders_created

S = WorkOrderStatus

WORK_ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PLANNED: frozenset({S.RELEASED, S.CANCELLED}),
    S.RELEASED: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.DONE, S.CANCELLED}),
    S.DONE: frozenset(),
    S.CANCELLED: frozenset(),
}

TIMESTAMP_OF: dict[str, str] = {
    S.RELEASED: "released_at",
    S.IN_PROGRESS: "started_at",
    S.DONE: "completed_at",
    S.CANCELLED: "cancelled_at",
}


@dataclass(frozen=True)
class NewWorkOrder:
    product: Product
    quantity: Decimal
    origin: str
    location: Location | None = None
    due_at: datetime | None = None
    plan_explanation: dict[str, Any] | None = None


def work_orders_create_many(
    orders: Sequence[NewWorkOrder], *, actor_id: int | None = None
) -> list[WorkOrder]:
    """Create planned work orders in bulk (the pull engine raises many per batch)."""
    rows = []
    for order in orders:
        if order.quantity <= 0:
            raise DomainError("Quantity must be greater than zero.", field="quantity")
        if order.origin not in WorkOrderOrigin.values:
            raise DomainError(f"Unknown origin {order.origin!r}.", field="origin")
        if order.product.line_id is None:
            raise DomainError(
                f"{order.product.sku} is bought, not made: it has no line to make it on.",
                field="product",
                code="purchased",
            )
        rows.append(
            WorkOrder(
                product=order.product,
                line_id=order.product.line_id,
                location_id=(order.location.pk if order.location else order.product.supermarket_id),
                quantity=order.quantity,
                origin=order.origin,
                due_at=order.due_at,
                plan_explanation=order.plan_explanation or {},
            )
        )
    created = rows
    planned = WorkOrderEvent(to_status=S.PLANNED, actor_id=actor_id)
    bulk_insert_with_events(created, event=planned, link="work_order")
    live.notify_lines_changed(wo.line_id for wo in created)
    emit_work_orders_created(created)
    return created


@transaction.atomic
def work_order_create(
    *,
    product: Product,
    quantity: Decimal,
    origin: str = WorkOrderOrigin.MANUAL,
    location: Location | None = None,
    due_at: datetime | None = None,
    plan_explanation: dict[str, Any] | None = None,
    actor_id: int | None = None,
) -> WorkOrder:
    order = NewWorkOrder(product, Decimal(quantity), origin, location, due_at, plan_explanation)
    return work_orders_create_many([order], actor_id=actor_id)[0]


@transaction.atomic
def work_order_expedite(
    *,
    product: Product,
    quantity: Decimal,
    due_at: datetime,
    reason: str = "",
    actor_id: int | None = None,
) -> WorkOrder:
    """A manual (expedite) order, released at once: it shows on its line's board, marked
    expedite, beside the push orders, and is started and finished there like them."""
    ensure_active_product(product)
    ensure_active_location(product.supermarket, "product")
    order = work_order_create(
        product=product,
        quantity=quantity,
        origin=WorkOrderOrigin.MANUAL,
        due_at=due_at,
        plan_explanation={"expedite": True, "reason": reason[:300]},
        actor_id=actor_id,
    )
    return work_order_transition(
        work_order_id=order.pk, to=S.RELEASED, actor_id=actor_id, reason=reason or "expedite"
    )


@transaction.atomic
def work_order_transition(
    *,
    work_order_id: int,
    to: str,
    actor_id: int | None = None,
    reason: str = "",
    expected_version: int | None = None,
    via_card: bool = False,
) -> WorkOrder:
    """Apply one allowed transition, with its stock effects, and write its event.

    Starting consumes the BOM's components from their supermarkets (refused, with
    what is short, if they are not there); completing receives the quantity.
    A kanban work order follows its card, so only a card move (`via_card`) moves it.
    Locks follow the house order: stock levels first, then the work order.
    """
    current = WorkOrder.objects.select_related("product").filter(pk=work_order_id).first()
    if current is None:
        raise DomainError(f"Work order {work_order_id} does not exist.", code="not_found")
    if current.origin == WorkOrderOrigin.KANBAN and not via_card:
        raise NotAllowed(
            "A kanban work order follows its card: move the card instead.",
            field="origin",
            code="follows_card",
        )
    if to not in WORK_ORDER_TRANSITIONS:
        raise DomainError(f"Unknown status {to!r}.", field="status")
    effect = _stock_effect(current, to)

    work_order = lock_work_orders([work_order_id]).select_related("product").get()
    if expected_version is not None and expected_version != work_order.version:
        raise VersionConflict(
            f"Work order {work_order_id} was changed by someone else "
            f"(version {work_order.version}, you had {expected_version}).",
            current_version=work_order.version,
        )
    if to not in WORK_ORDER_TRANSITIONS[work_order.status]:
        raise NotAllowed(
            f"A work order that is {work_order.get_status_display().lower()} cannot become "
            f"{S(to).label.lower()}.",
            field="status",
        )
    if effect is not None:
        effect(work_order, actor_id)

    work_order_step(
        work_order,
        to=to,
        stamp=TIMESTAMP_OF[to],
        at=timezone.now(),
        actor_id=actor_id,
        reason=reason,
    )
    if to == S.DONE:
        emit_work_order_completed(work_order)
    return work_order


def work_order_step(
    work_order: WorkOrder,
    *,
    to: str,
    stamp: str,
    at: datetime | None,
    actor_id: int | None,
    reason: str,
) -> WorkOrder:
    """Write a locked order's new status (its `stamp` timestamp set to `at`; None when a
    step is taken back) with its event, and tell the line's boards."""
    from_status = work_order.status
    work_order.status = to
    work_order.version += 1
    setattr(work_order, stamp, at)
    work_order.save(update_fields=["status", "version", stamp])
    WorkOrderEvent.objects.create(
        work_order=work_order,
        from_status=from_status,
        to_status=to,
        actor_id=actor_id,
        reason=reason[:300],
    )
    live.notify_lines_changed([work_order.line_id])
    return work_order


def quantity_text(quantity: Decimal) -> str:
    """A quantity as people write it: 10, 2.5 (no trailing zeros, no exponent)."""
    return format(quantity.quantize(Decimal("0.001")).normalize(), "f")


Effect = Callable[[WorkOrder, int | None], None]


def _stock_effect(work_order: WorkOrder, to: str) -> Effect | None:
    """Lock the stock levels a transition touches (before the work order) and say what to do."""
    if to == S.IN_PROGRESS:
        bom = list(work_order.product.bom_lines.select_related("component"))
        if not bom:
            return None
        needs = {
            (line.component_id, line.component.supermarket_id): (line.component, line.quantity)
            for line in bom
        }
        levels = ensure_stock_levels(needs)

        def consume_components(wo: WorkOrder, actor_id: int | None) -> None:
            wanted = {key: (c, per * wo.quantity) for key, (c, per) in needs.items()}
            shortages = [
                f"{component.sku} short by {quantity_text(need - levels[key].on_hand)} "
                f"{component.unit}"
                for key, (component, need) in wanted.items()
                if levels[key].on_hand < need
            ]
            if shortages:
                raise NotAllowed(
                    "Not enough components to start: " + "; ".join(shortages) + ".",
                    field="components",
                    code="components_short",
                )
            batch = LedgerBatch()
            for key, (_, need) in wanted.items():
                batch.consume(
                    levels[key],
                    need,
                    work_order_id=wo.pk,
                    actor_id=actor_id,
                    note=f"WO-{wo.pk} started",
                )
            batch.write(actor_id=actor_id)

        return consume_components
    if to == S.DONE:
        key = (work_order.product_id, work_order.location_id)
        level = ensure_stock_levels([key])[key]

        def receive_output(wo: WorkOrder, actor_id: int | None) -> None:
            batch = LedgerBatch()
            batch.add(
                level,
                wo.quantity,
                kind=MoveKind.RECEIPT,
                work_order_id=wo.pk,
                actor_id=actor_id,
                note=f"WO-{wo.pk} completed",
            )
            fill_backorders(batch, level)
            batch.write(actor_id=actor_id)

        return receive_output
    return None


def work_order_release(
    *, work_order_id: int, actor_id: int | None = None, expected_version: int | None = None
) -> WorkOrder:
    return work_order_transition(
        work_order_id=work_order_id,
        to=S.RELEASED,
        actor_id=actor_id,
        expected_version=expected_version,
    )


@transaction.atomic
def work_orders_release_many(*, work_order_ids: Sequence[int], actor_id: int | None = None) -> int:
    """Release planned work orders in bulk (a push plan releases a line's lots at once).

    The same rule as `work_order_transition`, for a set: locked in pk order, each must be
    planned and not follow a card; then one update and one insert of events for all.
    """
    orders = list(lock_work_orders(work_order_ids))
    for order in orders:
        if order.origin == WorkOrderOrigin.KANBAN:
            raise NotAllowed(
                "A kanban work order follows its card: move the card instead.",
                field="origin",
                code="follows_card",
            )
        if S.RELEASED not in WORK_ORDER_TRANSITIONS[order.status]:
            raise NotAllowed(
                f"A work order that is {order.get_status_display().lower()} cannot become "
                f"{S.RELEASED.label.lower()}.",
                field="status",
            )
    now = timezone.now()
    events = []
    for order in orders:
        events.append(
            WorkOrderEvent(
                work_order=order, from_status=order.status, to_status=S.RELEASED, actor_id=actor_id
            )
        )
        order.status = S.RELEASED
        order.version += 1
        order.released_at = now
    bulk_update_rows(orders, ["status", "version", "released_at"])
    bulk_insert_rows(events)
    live.notify_lines_changed({order.line_id for order in orders})
    return len(orders)


def work_order_start(
    *, work_order_id: int, actor_id: int | None = None, expected_version: int | None = None
) -> WorkOrder:
    return work_order_transition(
        work_order_id=work_order_id,
        to=S.IN_PROGRESS,
        actor_id=actor_id,
        expected_version=expected_version,
    )


def work_order_complete(
    *, work_order_id: int, actor_id: int | None = None, expected_version: int | None = None
) -> WorkOrder:
    return work_order_transition(
        work_order_id=work_order_id, to=S.DONE, actor_id=actor_id, expected_version=expected_version
    )


def work_order_cancel(
    *,
    work_order_id: int,
    reason: str,
    actor_id: int | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    if not reason.strip():
        raise DomainError("Say why the work order is cancelled.", field="reason")
    return work_order_transition(
        work_order_id=work_order_id,
        to=S.CANCELLED,
        actor_id=actor_id,
        reason=reason,
        expected_version=expected_version,
    )
