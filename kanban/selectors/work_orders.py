"""The push and expedite work orders a line's board shows, so operators run push and pull from one screen.

Every order that does not follow a card (`push` plans and `manual` expedite orders) that
is released or in progress, and those done today (in the plant's time zone), whatever
the line's mode now is: released push orders left after a switch back to pull stay on
the board until they are finished or cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from production.models import ProductionLine, WorkOrder, WorkOrderOrigin, WorkOrderStatus

S = WorkOrderStatus
OPEN = (S.RELEASED, S.IN_PROGRESS)
# What an operator may do to a push order from the board: the action's name in the URL.
ACTIONS: dict[str, tuple[str, str]] = {
    S.RELEASED: ("start", "Start"),
    S.IN_PROGRESS: ("finish", "Finish"),
}
_STATUS_RANK: dict[str, int] = {S.IN_PROGRESS: 0, S.RELEASED: 1, S.DONE: 2}


@dataclass
class BoardOrder:
    id: int
    sku: str
    name: str
    quantity: str
    unit: str
    status: str
    status_label: str
    version: int
    due_at: datetime | None
    late: bool
    started_at: datetime | None
    completed_at: datetime | None
    action: str
    action_label: str
    action_url: str
    expedite: bool = False


@dataclass
class BoardOrders:
    orders: list[BoardOrder]
    facts: str

    @property
    def open_count(self) -> int:
        return sum(1 for order in self.orders if order.status in OPEN)


def today_start() -> datetime:
    """Midnight today in the plant's time zone (`TIME_ZONE`)."""
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def _on_board(today: datetime) -> Q:
    return ~Q(origin=WorkOrderOrigin.KANBAN) & (
        Q(status__in=OPEN) | Q(status=S.DONE, completed_at__gte=today)
    )


def order_facts(lines: QuerySet[ProductionLine]) -> QuerySet[ProductionLine]:
    """Lines annotated with a fingerprint of the orders their board shows (no extra query)."""
    orders = (
        WorkOrder.objects.filter(_on_board(today_start()), line_id=OuterRef("pk"))
        .order_by()
        .values("line_id")
    )

    def summed(aggregate: Any) -> Coalesce:
        return Coalesce(
            Subquery(orders.annotate(v=aggregate).values("v"), output_field=IntegerField()), 0
        )

    return lines.annotate(
        board_orders_n=summed(Count("id")),
        board_orders_versions=summed(Sum("version")),
        board_orders_ids=summed(Sum("id")),
    )


def facts_of(line: ProductionLine) -> str | None:
    """The annotated fingerprint of a line's board orders; None if not annotated."""
    facts = [getattr(line, f"board_orders_{name}", None) for name in ("n", "versions", "ids")]
    return None if facts[0] is None else "|".join(str(fact) for fact in facts)


def _quantity(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.001")).normalize(), "f")


def board_orders(line: ProductionLine) -> BoardOrders:
    """The line's push orders for its board; no query when the line says it has none."""
    if getattr(line, "board_orders_n", None) == 0:
        return BoardOrders([], "0|0|0")
    rows = list(
        WorkOrder.objects.filter(_on_board(today_start()), line_id=line.pk)
        .order_by()
        .values_list(
            "id",
            "product__sku",
            "product__name",
            "product__unit",
            "quantity",
            "status",
            "version",
            "due_at",
            "started_at",
            "completed_at",
            "origin",
        )
    )
    labels = {value: str(label) for value, label in S.choices}
    now = timezone.now()
    base = reverse("kanban:board-order", args=[line.code, 0, "start"]).rsplit("0/start/", 1)[0]
    orders = []
    for pk, sku, name, unit, quantity, status, version, due, started, done, origin in rows:
        action, label = ACTIONS.get(status, ("", ""))
        orders.append(
            BoardOrder(
                id=pk,
                sku=sku,
                name=name,
                quantity=_quantity(quantity),
                unit=unit,
                status=status,
                status_label=labels.get(status, status),
                version=version,
                due_at=due,
                late=bool(due and status in OPEN and due < now),
                started_at=started,
                completed_at=done,
                action=action,
                action_label=_(label) if label else "",
                action_url=f"{base}{pk}/{action}/" if action else "",
                expedite=origin == WorkOrderOrigin.MANUAL,
            )
        )
    far = datetime.max.replace(tzinfo=now.tzinfo)
    orders.sort(  # expedite orders first within each status
        key=lambda o: (
            _STATUS_RANK.get(o.status, 3),
            not o.expedite,
            o.due_at or far,
            -(o.completed_at.timestamp() if o.completed_at else 0),
            o.id,
        )
    )
    facts = f"{len(rows)}|{sum(r[6] for r in rows)}|{sum(r[0] for r in rows)}"
    return BoardOrders(orders, facts)
