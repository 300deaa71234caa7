"""Comparisons: push against pull on the line twin, started by planners or each night.

A comparison is stored first (status `queued`) with the full twin spec, and run by a
Celery task once committed. The spec is either sent whole (a line that does not exist
yet) or built here from a live line: its products, the demand events of a period
replayed exactly, the weeks before it as the planner's history, and a process model
from the line's capacity and the spread of its finished work orders.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from production.comparisons.models import Comparison, ComparisonKind, ComparisonStatus
from production.comparisons.specs import SpecOptions, line_spec, line_specs, live_card_counts
from production.comparisons.twin import SpecError, compare, parse_spec
from production.errors import DomainError
from production.models import DemandEvent, LineMode, ProductionLine

log = logging.getLogger(__name__)


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
    The specs of all busy lines are built together and stored in one statement, so the
    queries do not grow with the number of lines.
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
    lines = list(ProductionLine.objects.filter(pk__in=busy - done_today).order_by("code"))
    options = SpecOptions(seed=int(end.timestamp()) % 100_000, replications=3)
    specs = line_specs(lines=lines, start=start, end=end, options=options)
    comparisons = []
    for line in lines:
        if line.pk not in specs:
            continue
        spec = specs[line.pk]
        live, other = ("kanban", "push") if line.mode == LineMode.PULL else ("push", "kanban")
        spec["policies"] = sorted(spec["policies"], key=lambda p: p["kind"] != live)
        spec["policies"][0]["label"] = f"{live} (live)"
        spec["policies"][1]["label"] = f"{other} (shadow)"
        _validate(spec)
        comparisons.append(
            Comparison(
                name=f"Shadow {line.code} {start.date()} to {end.date()}",
                line=line,
                kind=ComparisonKind.SHADOW,
                spec=spec,
            )
        )
    return _comparisons_store(comparisons)


@transaction.atomic
def _comparisons_store(comparisons: list[Comparison]) -> list[Comparison]:
    """Store comparisons in one statement and queue each one's run once committed."""
    from production.comparisons.tasks import comparison_run_task

    stored = Comparison.objects.bulk_create(comparisons)
    for comparison in stored:
        transaction.on_commit(partial(comparison_run_task.delay, comparison.pk))
    return stored


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
