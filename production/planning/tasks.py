"""Thin Celery wrappers around forecast refreshes and push planning.

Task names keep the `production.tasks.` prefix they had before the concern had a
folder of its own: beat schedules and messages already queued use them.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(name="production.tasks.forecasts_refresh_task", soft_time_limit=1700, time_limit=1800)
def forecasts_refresh_task(run_id: int | None = None) -> int:
    """Refresh every forecast. Without a run id (the nightly beat), request a scheduled run."""
    from production.planning.models import ForecastRun, ForecastRunStatus
    from production.planning.services.forecasts import forecast_run_execute, forecast_run_request

    if run_id is None:
        run = forecast_run_request(actor_id=None, trigger="schedule", queue=False)
        if run.status != ForecastRunStatus.QUEUED:
            return run.pk
        run_id = run.pk
    if not ForecastRun.objects.filter(pk=run_id, status=ForecastRunStatus.QUEUED).exists():
        return run_id  # already taken by another worker, or finished
    return forecast_run_execute(run_id=run_id).pk


@shared_task(
    name="production.tasks.push_plan_task",
    soft_time_limit=240,
    time_limit=300,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def push_plan_task() -> list[int]:
    """Plan the current period of every push line (idempotent per line and period)."""
    from production.planning.services.push import push_plans_run_due

    return [plan.pk for plan in push_plans_run_due()]
