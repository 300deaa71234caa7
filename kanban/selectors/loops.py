"""Loop and card figures that other pages show (the planners' line dashboard)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import (
    Count,
    DecimalField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from kanban.models import CardStatus, KanbanCard, KanbanLoop
from production.models import StockLevel
from production.policies import SupplyLoop
from production.supply.models import ReplenishmentSource

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class LoopStock(TypedDict):
    held: Decimal
    on_hand: Decimal


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


def pull_loops_with_stock() -> QuerySet[WithAnnotations[KanbanLoop, LoopStock]]:
    """The loops of pull lines, each with what its full and in-use cards hold (`held`) and
    its location's on-hand stock (`on_hand`), as two subqueries of one query."""
    held = (
        KanbanCard.objects.filter(
            loop=OuterRef("pk"), status__in=[CardStatus.FULL, CardStatus.IN_USE]
        )
        .order_by()
        .values("loop")
        .annotate(total=Sum("remaining_quantity"))
        .values("total")
    )
    on_hand = StockLevel.objects.filter(
        product=OuterRef("product_id"), location=OuterRef("location_id")
    ).values("on_hand")
    zero = Value(Decimal("0"), output_field=DecimalField())
    pull = Q(product__line__mode="pull") | Q(product__line__isnull=True)  # bought: pulled
    return KanbanLoop.objects.filter(pull, archived_at__isnull=True).annotate(
        held=Coalesce(Subquery(held), zero), on_hand=Coalesce(Subquery(on_hand), zero)
    )


def supply_loops(*, product_ids: Collection[int]) -> list[SupplyLoop]:
    """Live (not archived) supplier and transfer loops of the products, with their lead
    time (the supplier's or the transfer's) and active cards, in one query."""
    rows = (
        KanbanLoop.objects.filter(
            product_id__in=list(product_ids),
            source__in=[ReplenishmentSource.SUPPLIER, ReplenishmentSource.TRANSFER],
            archived_at__isnull=True,
        )
        .annotate(active=Count("cards", filter=~Q(cards__status=CardStatus.RETIRED)))
        .order_by("product_id", "pk")
        .values_list(
            "product_id",
            "location_id",
            "source",
            "supplier_id",
            "source_location_id",
            "supplier__lead_time_days",
            "transfer_lead_time_days",
            "container_quantity",
            "active",
        )
    )
    return [
        SupplyLoop(
            product_id=product,
            location_id=location,
            source=source,
            supplier_id=supplier,
            source_location_id=origin,
            # A transfer loop always has its lead time, a supplier loop its supplier's
            # (database constraints); 1 day as the transfer's default otherwise.
            lead_time_days=(supplier_lead if source == ReplenishmentSource.SUPPLIER else move_lead)
            or Decimal("1"),
            container_quantity=container,
            cards=active,
        )
        for (
            product,
            location,
            source,
            supplier,
            origin,
            supplier_lead,
            move_lead,
            container,
            active,
        ) in rows
    ]
