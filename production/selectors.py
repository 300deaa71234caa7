"""Reads shaped for pages and the API; query shapes are decided here, once."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from production.models import DemandEvent, ProductionLine, WorkOrderStatus


def home_summary() -> dict[str, Any]:
    lines = ProductionLine.objects.annotate(
        products_count=Count("products", distinct=True),
        open_orders=Count(
            "work_orders",
            filter=Q(
                work_orders__status__in=[
                    WorkOrderStatus.PLANNED,
                    WorkOrderStatus.RELEASED,
                    WorkOrderStatus.IN_PROGRESS,
                ]
            ),
            distinct=True,
        ),
    ).order_by("code")
    return {
        "lines": list(lines),
        "open_backorders": DemandEvent.objects.filter(open_backorder_quantity__gt=0).count(),
    }
