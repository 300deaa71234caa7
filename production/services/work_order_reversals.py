"""Work-order moves taken back (an operator's undo on the board): a start or a completion
made by mistake. Each is a reversing move of its own, with its ledger adjustment and a
reversing event; nothing is deleted."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from production.errors import DomainError, NotAllowed
from production.locks import lock_work_orders
from production.models import MoveKind, StockMove, WorkOrder, WorkOrderStatus
from production.services.stock import LedgerBatch, ensure_stock_levels, fill_backorders
from production.services.work_orders import quantity_text, work_order_step
from production.webhooks.events import emit_work_order_reopened

S = WorkOrderStatus


def work_order_consumed(work_order_id: int) -> list[tuple[int, int, Decimal]]:
    """(product, location, quantity < 0) of what the order's starts consumed, less what
    earlier take-backs gave back (a start, its undo and a new start leave one start's)."""
    return list(
        StockMove.objects.filter(
            work_order_id=work_order_id, kind__in=(MoveKind.CONSUMPTION, MoveKind.ADJUSTMENT)
        )
        .values("product_id", "location_id")
        .annotate(net=Sum("quantity"))
        .filter(net__lt=0)
        .values_list("product_id", "location_id", "net")
    )


@transaction.atomic
def work_order_unstart(*, work_order_id: int, actor_id: int | None, reason: str) -> WorkOrder:
    """Take back a start made by mistake: the order is released again (not started), the
    components its start consumed come back to their supermarkets by adjustments (serving
    any backorders there first, as stock coming in does), and a reversing event is written
    (never a deleted one). Only an order still in progress; the caller says who may."""
    consumed = work_order_consumed(work_order_id)
    # House lock order: stock levels, then the work order.
    levels = ensure_stock_levels({(product, location) for product, location, _ in consumed})
    work_order = lock_work_orders([work_order_id]).get()
    if work_order.status != S.IN_PROGRESS:
        raise NotAllowed(
            f"Work order {work_order_id} is {work_order.get_status_display().lower()}, not in "
            "progress: its start cannot be taken back.",
            field="status",
            code="not_undoable",
        )
    if consumed:
        batch = LedgerBatch()
        for product, location, quantity in consumed:
            batch.add(
                levels[(product, location)],
                -quantity,
                kind=MoveKind.ADJUSTMENT,
                work_order_id=work_order_id,
                actor_id=actor_id,
                note=f"WO-{work_order_id} not started after all: components back",
            )
        fill_backorders(batch, *batch.levels.values())
        batch.write(actor_id=actor_id)
    return work_order_step(
        work_order, to=S.RELEASED, stamp="started_at", at=None, actor_id=actor_id, reason=reason
    )


@transaction.atomic
def work_order_reopen(*, work_order_id: int, actor_id: int | None, reason: str) -> WorkOrder:
    """Take back a completion made by mistake: the order is in progress again, what it
    received is taken back out of its location by an adjustment (refused unless all of it
    is still there), a reversing event is written and the ERP is told
    (`work_order.reopened`). Only a done order; the caller says who may."""
    place = WorkOrder.objects.filter(pk=work_order_id).values("product_id", "location_id").first()
    if place is None:
        raise DomainError(f"Work order {work_order_id} does not exist.", code="not_found")
    key = (place["product_id"], place["location_id"])
    level = ensure_stock_levels([key])[key]  # house lock order: stock levels, then the order
    work_order = lock_work_orders([work_order_id]).get()
    if work_order.status != S.DONE:
        raise NotAllowed(
            f"Work order {work_order_id} is {work_order.get_status_display().lower()}, not "
            "done: there is no completion to take back.",
            field="status",
            code="not_undoable",
        )
    if level.on_hand < work_order.quantity:
        raise NotAllowed(
            f"Only {quantity_text(level.on_hand)} of the {quantity_text(work_order.quantity)} "
            f"WO-{work_order_id} made are still in stock: its completion cannot be taken back.",
            field="status",
            code="not_undoable",
        )
    batch = LedgerBatch()
    batch.add(
        level,
        -work_order.quantity,
        kind=MoveKind.ADJUSTMENT,
        work_order_id=work_order_id,
        actor_id=actor_id,
        note=f"WO-{work_order_id} not completed after all: its output taken back",
    )
    batch.write(actor_id=actor_id)
    work_order_step(
        work_order,
        to=S.IN_PROGRESS,
        stamp="completed_at",
        at=None,
        actor_id=actor_id,
        reason=reason,
    )
    emit_work_order_reopened(work_order)
    return work_order
