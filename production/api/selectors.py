"""Query shapes of the API's reads, decided once (select_related/prefetch_related here)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from production.models import (
    BomLine,
    DemandEvent,
    Product,
    ProductionLine,
    StockLevel,
    StockMove,
    WorkOrder,
)

# Apps that build on production add columns to work orders here (kanban adds the card),
# so production never imports them.
work_order_annotations: dict[str, Any] = {}


def register_work_order_annotation(name: str, expression: Any) -> None:
    work_order_annotations[name] = expression


def products() -> QuerySet[Product]:
    return Product.objects.select_related("line", "supermarket").prefetch_related(
        Prefetch("bom_lines", queryset=BomLine.objects.select_related("component"))
    )


def lines() -> QuerySet[ProductionLine]:
    return ProductionLine.objects.all()


def work_orders() -> QuerySet[WorkOrder]:
    return WorkOrder.objects.select_related("product", "line", "location").annotate(
        **work_order_annotations
    )


def demand_events() -> QuerySet[DemandEvent]:
    return DemandEvent.objects.select_related("product", "location")


def backorders() -> QuerySet[DemandEvent]:
    return DemandEvent.objects.select_related("product").filter(open_backorder_quantity__gt=0)


def stock_levels() -> QuerySet[StockLevel]:
    return StockLevel.objects.select_related("product", "location")


def stock_moves() -> QuerySet[StockMove]:
    return StockMove.objects.select_related("product", "location")
