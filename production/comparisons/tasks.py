"""Thin Celery wrappers around comparison runs.

Task names keep the `production.tasks.` prefix they had before the concern had a
folder of its own: beat schedules and messages already queued use them.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="production.tasks.comparison_run_task",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=1500,
    time_limit=1800,
)
def comparison_run_task(comparison_id: int) -> str:
    """Run one queued comparison on the twin (a repeat of a finished one does nothing)."""
    from production.comparisons.services import comparison_run

    comparison = comparison_run(comparison_id=comparison_id)
    return comparison.status if comparison else "skipped"


@shared_task(name="production.tasks.shadow_compare_task", soft_time_limit=300, time_limit=360)
def shadow_compare_task(weeks: int = 4) -> list[int]:
    """Nightly: every line's live policy against the other on its last weeks of demand."""
    from production.comparisons.services import shadow_comparisons_start

    return [c.pk for c in shadow_comparisons_start(weeks=weeks)]
