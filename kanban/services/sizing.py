"""Sizing a loop: the recommended card count from its demand and lead time."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import (
    DurationField,
    ExpressionWrapper,
    F,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from kanban.models import (
    KanbanLoop,
    PullSignal,
)
from kanban.sizing import recommended_card_count
from production.bulk import bulk_update_rows
from production.models import (
    BomLine,
    DemandEvent,
)

BOM_DEPTH = 10  # deeper BOMs than this are taken as a cycle
Parents = dict[int, list[tuple[int, Decimal]]]  # component -> [(parent, quantity per parent)]


def _bom_parents() -> Parents:
    parents: Parents = {}
    for parent_id, component_id, quantity in (
        BomLine.objects.order_by().values_list("parent_id", "component_id", "quantity").iterator()
    ):
        parents.setdefault(component_id, []).append((parent_id, quantity))
    return parents


def _units_per_level(product_id: int, parents: Parents) -> list[dict[int, Decimal]]:
    """Level by level up the BOM: product -> units of `product_id` in one of it."""
    levels: list[dict[int, Decimal]] = []
    per_unit = {product_id: Decimal("1")}
    while per_unit and len(levels) < BOM_DEPTH:
        levels.append(per_unit)
        above: dict[int, Decimal] = {}
        for component_id, units in per_unit.items():
            for parent_id, quantity in parents.get(component_id, ()):
                above[parent_id] = above.get(parent_id, Decimal("0")) + units * quantity
        per_unit = above
    return levels


def _demand_by_product(product_ids: set[int], *, start: Any, end: Any) -> dict[int, Decimal]:
    return dict(
        DemandEvent.objects.filter(
            product_id__in=product_ids, occurred_at__gte=start, occurred_at__lt=end
        )
        .order_by()
        .values("product_id")
        .annotate(total=Sum("quantity"))
        .values_list("product_id", "total")
    )


def _direct_and_dependent(
    levels: list[dict[int, Decimal]], demand: dict[int, Decimal]
) -> tuple[Decimal, Decimal]:
    found = [
        sum((units * demand[p] for p, units in level.items() if p in demand), Decimal("0"))
        for level in levels
    ]
    return found[0], sum(found[1:], Decimal("0"))


def demand_in_window(*, product_id: int, start: Any, end: Any) -> tuple[Decimal, Decimal]:
    """A product's demand over [start, end): its own events, and what the demand for the
    products that use it needs of it through their BOMs (every level up).

    A component has little demand of its own; its loop is sized by its parents' demand.
    """
    levels = _units_per_level(product_id, _bom_parents())
    demand = _demand_by_product(set().union(*levels), start=start, end=end)
    return _direct_and_dependent(levels, demand)


def _measured_lead_times(
    loop_ids: list[int], *, last: int = 20
) -> dict[int, tuple[Decimal | None, int]]:
    """Per loop, the mean signal -> full time over its last fulfilled cycles, and how many:
    one query for every loop (a window ranks each loop's cycles)."""
    cycles = (
        PullSignal.objects.filter(card__loop_id__in=loop_ids, fulfilled_at__isnull=False)
        .annotate(
            loop_id=F("card__loop_id"),
            rank=Window(
                RowNumber(), partition_by=F("card__loop_id"), order_by=F("fulfilled_at").desc()
            ),
            duration=ExpressionWrapper(
                F("fulfilled_at") - F("created_at"), output_field=DurationField()
            ),
        )
        .filter(rank__lte=last)
        .order_by()
        .values_list("loop_id", "duration")
    )
    durations: dict[int, list[timedelta]] = {}
    for loop_id, duration in cycles.iterator():
        durations.setdefault(loop_id, []).append(duration)
    measured: dict[int, tuple[Decimal | None, int]] = {}
    for loop_id, found in durations.items():
        mean = sum(found, timedelta()) / len(found)
        days = Decimal(mean.total_seconds() / 86400).quantize(Decimal("0.001"))
        measured[loop_id] = (days, len(found))
    return measured


@transaction.atomic
def loops_size(*, loops: QuerySet[KanbanLoop], now: Any = None) -> list[KanbanLoop]:
    """Store each loop's recommended card count with every input it came from.

    Set-based: the BOM, the demand of each sizing window and the measured lead times are
    read once for all the loops, and the recommendations written in one statement.
    """
    now = now or timezone.now()
    chosen = list(loops.select_related("product").order_by("pk"))
    if not chosen:
        return []
    parents = _bom_parents()
    levels = {loop.pk: _units_per_level(loop.product_id, parents) for loop in chosen}
    demand: dict[int, dict[int, Decimal]] = {}  # window (days) -> product -> demand
    for window in sorted({loop.sizing_window_days for loop in chosen}):
        wanted = {
            p
            for loop in chosen
            if loop.sizing_window_days == window
            for level in levels[loop.pk]
            for p in level
        }
        demand[window] = _demand_by_product(wanted, start=now - timedelta(days=window), end=now)
    measured_by_loop = _measured_lead_times([loop.pk for loop in chosen])
    min_cycles = settings.PULLBOARD["SIZING_MIN_CYCLES_FOR_MEASURED_LEAD_TIME"]
    for loop in chosen:
        window = loop.sizing_window_days
        direct, dependent = _direct_and_dependent(levels[loop.pk], demand[window])
        measured, cycles = measured_by_loop.get(loop.pk, (None, 0))
        _store_sizing(loop, direct, dependent, measured, cycles, min_cycles=min_cycles, now=now)
    bulk_update_rows(chosen, ["recommended_card_count", "recommended_at", "recommendation"])
    return chosen


def _store_sizing(
    loop: KanbanLoop,
    direct: Decimal,
    dependent: Decimal,
    measured: Decimal | None,
    cycles: int,
    *,
    min_cycles: int,
    now: Any,
) -> None:
    window = loop.sizing_window_days
    daily = ((direct + dependent) / window).quantize(Decimal("0.001"))
    enough = cycles >= min_cycles
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


def loop_size(*, loop: KanbanLoop, now: Any = None) -> KanbanLoop:
    """Size one loop (see `loops_size`); `loop` is updated in place and returned."""
    (sized,) = loops_size(loops=KanbanLoop.objects.filter(pk=loop.pk), now=now)
    for name in ("recommended_card_count", "recommended_at", "recommendation"):
        setattr(loop, name, getattr(sized, name))
    return loop
