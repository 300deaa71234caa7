"""Reads push planning needs from the bills of materials: which products are components
(planned from their parents' orders, not a forecast), what their parents' planned orders
will take, and the order in which to plan lines (parents first)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from production.models import BomLine, Product, ProductionLine, WorkOrder, WorkOrderStatus
from production.planning.core import dependent_requirements, low_level_codes
from production.planning.models import PushPlanLine, PushPlanStatus

# Orders that have not started yet: starting is what takes the components.
UNSTARTED = (WorkOrderStatus.PLANNED, WorkOrderStatus.RELEASED)


def dependent_demand(products: list[Product]) -> dict[int, Decimal]:
    """For each of `products` that is a component: the units its parents' planned
    orders will take (unstarted work orders, and lots of drafts still to release).
    Products that are in no BOM as a component are absent."""
    ids = [p.pk for p in products]
    bom = list(
        BomLine.objects.filter(component_id__in=ids).values_list(
            "parent_id", "component_id", "quantity"
        )
    )
    if not bom:
        return {}
    parents = {parent for parent, _, _ in bom}
    planned: dict[int, float] = {}
    orders = (
        WorkOrder.objects.filter(product_id__in=parents, status__in=UNSTARTED)
        .values("product_id")
        .annotate(total=Sum("quantity"))
        .values_list("product_id", "total")
    )
    drafts = (
        PushPlanLine.objects.filter(
            product_id__in=parents, plan__status=PushPlanStatus.DRAFT, quantity__gt=0
        )
        .values("product_id")
        .annotate(total=Sum("quantity"))
        .values_list("product_id", "total")
    )
    for product_id, total in [*orders, *drafts]:
        planned[product_id] = planned.get(product_id, 0.0) + float(total)
    need = dependent_requirements([(p, c, float(q)) for p, c, q in bom], planned)
    components = {component for _, component, _ in bom}
    return {pk: Decimal(str(round(need.get(pk, 0.0), 3))) for pk in components}


def lines_parents_first(lines: list[ProductionLine]) -> list[ProductionLine]:
    """Lines in the order MRP plans them: by the deepest BOM level of their products
    (finished goods first, then their components), then by code."""
    depth = low_level_codes(list(BomLine.objects.values_list("parent_id", "component_id")))
    level: dict[int, int] = {}
    for product_id, line_id in Product.objects.filter(line__in=lines).values_list("pk", "line_id"):
        level[line_id] = max(level.get(line_id, 0), depth.get(product_id, 0))
    return sorted(lines, key=lambda line: (level.get(line.pk, 0), line.code))
