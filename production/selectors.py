"""Reads shaped for pages and the API; query shapes are decided here, once."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Func, IntegerField, OuterRef, QuerySet, Subquery

from production.models import DemandEvent, Product, ProductionLine, WorkOrder, WorkOrderStatus

OPEN_WORK_ORDER_STATUSES = (
    WorkOrderStatus.PLANNED,
    WorkOrderStatus.RELEASED,
    WorkOrderStatus.IN_PROGRESS,
)


def count_of(queryset: QuerySet[Any]) -> Subquery:
    """A per-row count as its own subquery: two to-many counts joined in one GROUP BY would
    multiply each other's rows (a line's products x its work orders)."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=IntegerField())


def home_summary() -> dict[str, Any]:
    lines = ProductionLine.objects.annotate(
        products_count=count_of(Product.objects.filter(line=OuterRef("pk"))),
        # Open orders only, from the (line, status) index: never the line's whole history.
        open_orders=count_of(
            WorkOrder.objects.filter(line=OuterRef("pk"), status__in=OPEN_WORK_ORDER_STATUSES)
        ),
    ).order_by("code")
    return {
        "lines": list(lines),
        "open_backorders": DemandEvent.objects.filter(open_backorder_quantity__gt=0).count(),
    }
