"""Loop and card figures that other pages show (the planners' line dashboard)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q

from kanban.models import CardStatus, KanbanCard, KanbanLoop


def active_cards_per_product(*, line_ids: Collection[int]) -> dict[int, int]:
    """Active (not retired) cards per product of the lines' loops."""
    rows = (
        KanbanLoop.objects.filter(product__line_id__in=line_ids)
        .annotate(active=Count("cards", filter=~Q(cards__status=CardStatus.RETIRED)))
        .values_list("product_id", "active")
    )
    return {product_id: active for product_id, active in rows if active}


def cards_by_status_with_age(*, line_id: int, now: datetime) -> list[dict[str, Any]]:
    """A line's active cards by status, with how long the oldest has sat there (days)."""
    rows = (
        KanbanCard.objects.filter(loop__product__line_id=line_id)
        .exclude(status=CardStatus.RETIRED)
        .values("status")
        .annotate(count=Count("id"), oldest=Min("status_changed_at"))
        .order_by("status")
    )
    return [
        {
            "status": r["status"],
            "count": r["count"],
            "oldest_days": round((now - r["oldest"]).total_seconds() / 86400, 2),
        }
        for r in rows
    ]
