"""Comparisons: push against pull on the line twin, started by planners or each night.

A comparison is stored first (status `queued`) with the full twin spec, and run by a
Celery task once committed. The spec is either sent whole (a line that does not exist
yet) or built here from a live line: its products, the demand events of a period
replayed exactly, the weeks before it as the planner's history, and a process model
from the line's capacity and the spread of its finished work orders.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, FloatField, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from production.comparisons.models import Comparison, ComparisonKind, ComparisonStatus
from production.comparisons.twin import SpecError, compare, parse_spec
from production.errors import DomainError
from production.models import (
    DemandEvent,
    LineMode,
    Product,
    ProductionLine,
    WorkOrder,
    WorkOrderStatus,
)
from production.policies import policy_for

log = logging.getLogger(__name__)

HISTORY_DAYS = 28
SAFETY_FACTOR = 0.2  # the sizing rule's `a` when a product has no loop to read
DEFAULT_REPLICATIONS = 5
MIN_SAMPLES_FOR_MEASURED_CV = 5
SECONDS_PER_DAY = 86400.0


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / SECONDS_PER_DAY


def live_card_counts(line: ProductionLine) -> dict[int, int]:
    """Active cards per product of the line's loops, asked of the pull policy that
    `kanban` registers (`production` imports nothing of `kanban`)."""
    try:
        return policy_for("pull").active_cards_per_product(line_id=line.pk)
    except LookupError:
        return {}


def _process_model(line: ProductionLine) -> dict[str, Any]:
    """One station at the line's rated capacity; its CV from finished work orders."""
    rows = list(
        WorkOrder.objects.filter(
            line=line,
            status=WorkOrderStatus.DONE,
            started_at__isnull=False,
            completed_at__isnull=False,
        )
        .order_by("-completed_at")
        .values_list("started_at", "completed_at", "quantity")[:500]
    )
    per_unit = [
        _days(done - start) / float(q)
        for start, done, q in rows
        if start is not None and done is not None and done > start and q > 0
    ]
    mean_days = 1.0 / float(line.capacity_per_day)
    if len(per_unit) >= MIN_SAMPLES_FOR_MEASURED_CV:
        m = sum(per_unit) / len(per_unit)
        cv = (
            math.sqrt(sum((x - m) ** 2 for x in per_unit) / (len(per_unit) - 1)) / m
            if m > 0
            else 0.0
        )
        unit_time: dict[str, Any] = (
            {"dist": "lognormal", "mean_days": mean_days, "cv": round(cv, 4)}
            if cv > 0.01
            else {"dist": "deterministic", "mean_days": mean_days}
        )
    else:
        unit_time = {"dist": "exponential", "mean_days": mean_days}
    return {"name": line.name, "machines": 1, "unit_time": unit_time}


def _demand_by_product(
    products: list[Product], start: datetime, end: datetime
) -> tuple[dict[int, list[list[float]]], dict[int, list[float]]]:
    """Demand events of the period (day offsets) and daily totals of the weeks before."""
    ids = [p.pk for p in products]
    events: dict[int, list[list[float]]] = {pk: [] for pk in ids}
    period = DemandEvent.objects.filter(
        product_id__in=ids, occurred_at__gte=start, occurred_at__lt=end
    ).order_by("occurred_at")
    if connection.vendor == "postgresql":
        # A busy line has hundreds of thousands of events a month: most of the time went
        # into parsing their timestamps, so PostgreSQL hands over the day offsets as floats.
        offsets = period.annotate(
            offset=RawSQL('EXTRACT(EPOCH FROM ("occurred_at" - %s))::float8 / 86400', [start]),
            units=Cast("quantity", FloatField()),
        )
        for product_id, offset, units in offsets.values_list("product_id", "offset", "units"):
            events[product_id].append([offset, units])
    else:
        for product_id, at, qty in period.values_list("product_id", "occurred_at", "quantity"):
            events[product_id].append([_days(at - start), float(qty)])
    before = start - timedelta(days=HISTORY_DAYS)
    history: dict[int, list[float]] = {pk: [0.0] * HISTORY_DAYS for pk in ids}
    for row in (
        DemandEvent.objects.filter(
            product_id__in=ids, occurred_at__gte=before, occurred_at__lt=start
        )
        .annotate(day=TruncDate("occurred_at"))
        .values("product_id", "day")
        .annotate(total=Sum("quantity"))
    ):
        index = (row["day"] - before.date()).days
        if 0 <= index < HISTORY_DAYS:
            history[row["product_id"]][index] = float(row["total"])
    return events, history


def _default_policies(
    line: ProductionLine, products: list[Product], events: dict[int, list[list[float]]], days: int
) -> list[dict[str, Any]]:
    """Kanban with the live card counts (or the sizing rule), and push with the line's
    planning parameters: the two policies a planner can switch between."""
    live = live_card_counts(line)
    cards = {}
    for p in products:
        if p.pk in live:
            cards[p.sku] = live[p.pk]
        else:
            daily = sum(q for _, q in events[p.pk]) / max(days, 1)
            cards[p.sku] = max(
                1,
                math.ceil(
                    daily
                    * float(p.lead_time_days)
                    * (1 + SAFETY_FACTOR)
                    / float(p.container_quantity)
                ),
            )
    first = products[0]
    push = {
        "kind": "push",
        "service_level": float(first.service_level),
        "lot_sizing": first.lot_sizing,
        "setup_cost": float(first.setup_cost),
        "holding_cost_per_unit_day": float(first.holding_cost_per_unit_day),
    }
    if first.fixed_lot_quantity:
        push["fixed_lot_quantity"] = float(first.fixed_lot_quantity)
    return [{"kind": "kanban", "cards": cards}, push]


def line_spec(
    *,
    line: ProductionLine,
    start: datetime,
    end: datetime,
    policies: list[dict[str, Any]] | None = None,
    stations: list[dict[str, Any]] | None = None,
    seed: int = 0,
    replications: int = DEFAULT_REPLICATIONS,
) -> dict[str, Any]:
    """The twin spec of a live line over a period of its demand history."""
    if end <= start:
        raise DomainError("The period must end after it starts.", field="end")
    products = list(Product.objects.filter(line=line).order_by("sku"))
    if not products:
        raise DomainError(f"Line {line.code} makes no products.", field="line")
    days = max(1, math.ceil(_days(end - start)))
    events, history = _demand_by_product(products, start, end)
    spec_products = []
    for p in products:
        demand: dict[str, Any] = (
            {"kind": "history", "events": events[p.pk]}
            if events[p.pk]
            else {"kind": "history", "daily": [0.0] * days}
        )
        spec_products.append(
            {
                "sku": p.sku,
                "container_quantity": float(p.container_quantity),
                "lead_time_days": float(p.lead_time_days),
                "demand": demand,
                "history_before": history[p.pk],
            }
        )
    return {
        "horizon_days": days,
        "seed": seed,
        "replications": replications,
        "stations": stations or [_process_model(line)],
        "products": spec_products,
        "policies": policies or _default_policies(line, products, events, days),
        "source": {"line": line.code, "start": start.isoformat(), "end": end.isoformat()},
    }


def _validate(spec: dict[str, Any]) -> None:
    try:
        parse_spec(spec)
    except SpecError as err:
        raise DomainError(err.message, field=f"spec.{err.field}", code="invalid_spec") from err


@transaction.atomic
def comparison_start(
    *,
    name: str,
    spec: dict[str, Any],
    actor_id: int | None,
    line: ProductionLine | None = None,
    kind: str = ComparisonKind.MANUAL,
    queue_run: bool = True,
) -> Comparison:
    """Store a comparison and queue its run once committed (`queue_run=False`: the
    caller runs it itself, with `comparison_run`)."""
    _validate(spec)
    comparison = Comparison.objects.create(
        name=name.strip() or "Comparison", line=line, kind=kind, spec=spec, created_by_id=actor_id
    )
    if queue_run:
        transaction.on_commit(partial(_queue_run, comparison.pk))
    return comparison


def _queue_run(comparison_id: int) -> None:
    """A Celery task; in the embedded profile (tasks in process) a background thread, so
    that the request that started it does not wait for the twin."""
    if settings.PULLBOARD["COMPARISONS_IN_BACKGROUND_THREAD"]:
        from production.comparisons.background import comparison_run_in_background

        comparison_run_in_background(comparison_id)
        return
    from production.comparisons.tasks import comparison_run_task

    comparison_run_task.delay(comparison_id)


def _record_progress(comparison_id: int, fraction: float, last: list[float]) -> None:
    # A write per 5% is plenty for a progress bar and cheap for the database.
    if fraction - last[0] >= 0.05 or fraction >= 1:
        last[0] = fraction
        Comparison.objects.filter(pk=comparison_id).update(progress=min(1.0, round(fraction, 4)))


def comparison_claim(*, comparison_id: int) -> Comparison | None:
    """Mark a queued comparison running; None if another worker has it or it is finished."""
    with transaction.atomic():
        claimed = Comparison.objects.filter(
            pk=comparison_id, status=ComparisonStatus.QUEUED
        ).update(status=ComparisonStatus.RUNNING, started_at=timezone.now(), progress=0.0)
    return Comparison.objects.get(pk=comparison_id) if claimed else None


def comparison_run(*, comparison_id: int) -> Comparison | None:
    """Run a queued comparison on the twin and store its results (or why it failed).

    The simulation runs outside any transaction; progress and the outcome are each
    one small write.
    """
    comparison = comparison_claim(comparison_id=comparison_id)
    if comparison is None:
        return None
    last = [0.0]
    try:
        results = compare(
            comparison.spec, progress=partial(_record_progress, comparison_id, last=last)
        )
    except SpecError as err:
        _finish(comparison_id, status=ComparisonStatus.FAILED, error=str(err))
    except MemoryError:
        # Celery takes a MemoryError out of a task as fatal and the worker process exits:
        # this comparison failed, the worker did not. The spec's size bound should make
        # this rare; when it happens the comparison says so.
        log.error("comparison %s ran out of memory", comparison_id)
        _finish(
            comparison_id,
            status=ComparisonStatus.FAILED,
            error="The twin ran out of memory: make the spec smaller (demand, horizon, "
            "replications or policies).",
        )
    except Exception as err:
        _finish(comparison_id, status=ComparisonStatus.FAILED, error=f"The twin failed: {err}")
        raise
    else:
        _finish(comparison_id, status=ComparisonStatus.DONE, results=results)
    return Comparison.objects.get(pk=comparison_id)


@transaction.atomic
def _finish(
    comparison_id: int, *, status: str, results: dict[str, Any] | None = None, error: str = ""
) -> None:
    Comparison.objects.filter(pk=comparison_id).update(
        status=status,
        results=results,
        error=error,
        progress=1.0 if status == ComparisonStatus.DONE else F("progress"),
        finished_at=timezone.now(),
    )


def shadow_comparisons_start(*, weeks: int = 4, now: datetime | None = None) -> list[Comparison]:
    """Each line's live policy against the other, on the last `weeks` of real demand.

    Lines with no demand in the period are skipped. One comparison per line and night.
    """
    now = now or timezone.now()
    end = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(weeks=weeks)
    busy = set(
        DemandEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .order_by()  # the model's ordering would join the DISTINCT: one row per event
        .values_list("product__line_id", flat=True)
        .distinct()
    )
    done_today = set(
        Comparison.objects.filter(kind=ComparisonKind.SHADOW, created_at__gte=end).values_list(
            "line_id", flat=True
        )
    )
    started = []
    for line in ProductionLine.objects.filter(pk__in=busy - done_today).order_by("code"):
        spec = line_spec(
            line=line, start=start, end=end, seed=int(end.timestamp()) % 100_000, replications=3
        )
        live, other = ("kanban", "push") if line.mode == LineMode.PULL else ("push", "kanban")
        spec["policies"] = sorted(spec["policies"], key=lambda p: p["kind"] != live)
        spec["policies"][0]["label"] = f"{live} (live)"
        spec["policies"][1]["label"] = f"{other} (shadow)"
        started.append(
            comparison_start(
                name=f"Shadow {line.code} {start.date()} to {end.date()}",
                spec=spec,
                actor_id=None,
                line=line,
                kind=ComparisonKind.SHADOW,
            )
        )
    return started


def comparison_period_spec(
    *,
    line: ProductionLine,
    days: int,
    policies: list[dict[str, Any]] | None,
    stations: list[dict[str, Any]] | None,
    seed: int,
    replications: int,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    """A line's spec for the last `days` (or start..end) of its demand."""
    end = end or timezone.now()
    start = start or end - timedelta(days=days)
    return line_spec(
        line=line,
        start=start,
        end=end,
        policies=policies,
        stations=stations,
        seed=seed,
        replications=replications,
    )


__all__ = [
    "comparison_period_spec",
    "comparison_run",
    "comparison_start",
    "line_spec",
    "live_card_counts",
    "shadow_comparisons_start",
]
