"""Sizing a loop: the recommended card count from its demand and lead time."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import DurationField, ExpressionWrapper, F, Sum
from django.utils import timezone

from kanban.models import KanbanLoop, PullSignal
from kanban.sizing import recommended_card_count
from production.models import BomLine, DemandEvent


def measured_lead_time_days(loop: KanbanLoop, *, last: int = 20) -> tuple[Decimal | None, int]:
    """Mean signal -> full time over the loop's last fulfilled cycles, and how many."""
    cycles = (
        PullSignal.objects.filter(card__loop=loop, fulfilled_at__isnull=False)
        .order_by("-fulfilled_at")[:last]
        .annotate(
            duration=ExpressionWrapper(
                F("fulfilled_at") - F("created_at"), output_field=DurationField()
            )
        )
    )
    durations = [c.duration for c in cycles]
    if not durations:
        return None, 0
    mean = sum(durations, timedelta()) / len(durations)
    return Decimal(mean.total_seconds() / 86400).quantize(Decimal("0.001")), len(durations)


def demand_in_window(*, product_id: int, start: Any, end: Any) -> tuple[Decimal, Decimal]:
    """A product's demand over [start, end): its own events, and what the demand for the
    products that use it needs of it through their BOMs (every level up).

    A component has little demand of its own; its loop is sized by its parents' demand.
    """
    direct = Decimal("0")
    dependent = Decimal("0")
    per_unit = {product_id: Decimal("1")}  # product -> units of `product_id` in one of it
    for level in range(10):  # deeper BOMs than this are taken as a cycle
        if not per_unit:
            break
        sums = dict(
            DemandEvent.objects.filter(
                product_id__in=list(per_unit), occurred_at__gte=start, occurred_at__lt=end
            )
            .values("product_id")
            .annotate(total=Sum("quantity"))
            .values_list("product_id", "total")
        )
        found = sum((per_unit[p] * total for p, total in sums.items()), Decimal("0"))
        if level == 0:
            direct = found
        else:
            dependent += found
        parents: dict[int, Decimal] = {}
        for parent_id, component_id, quantity in BomLine.objects.filter(
            component_id__in=list(per_unit)
        ).values_list("parent_id", "component_id", "quantity"):
            parents[parent_id] = parents.get(parent_id, Decimal("0")) + (
                per_unit[component_id] * quantity
            )
        per_unit = parents
    return direct, dependent


@transaction.atomic
def loop_size(*, loop: KanbanLoop, now: Any = None) -> KanbanLoop:
    """Store the loop's recommended card count with every input it came from."""
    now = now or timezone.now()
    window = loop.sizing_window_days
    direct, dependent = demand_in_window(
        product_id=loop.product_id, start=now - timedelta(days=window), end=now
    )
    daily = ((direct + dependent) / window).quantize(Decimal("0.001"))
    measured, cycles = measured_lead_time_days(loop)
    enough = cycles >= settings.PULLBOARD["SIZING_MIN_CYCLES_FOR_MEASURED_LEAD_TIME"]
    lead = measured if (enough and measured) else loop.product.lead_time_days
    count = recommended_card_count(
        daily_demand=daily,
        lead_time_days=lead,
        safety_factor=loop.safety_factor,
        container_quantity=loop.container_quantity,
    )
    loop.recommended_card_count = count
    loop.recommended_at = now
    loop.recommendation = {
        "daily_demand": str(daily),
        "dependent_daily_demand": str((dependent / window).quantize(Decimal("0.001"))),
        "window_days": window,
        "lead_time_days": str(lead),
        "lead_time_source": "measured" if (enough and measured) else "configured",
        "measured_lead_time_days": str(measured) if measured is not None else None,
        "measured_cycles": cycles,
        "safety_factor": str(loop.safety_factor),
        "container_quantity": str(loop.container_quantity),
        "recommended_card_count": count,
        "formula": "ceil(D x L x (1 + a) / C)",
    }
    loop.save(update_fields=["recommended_card_count", "recommended_at", "recommendation"])
    return loop
