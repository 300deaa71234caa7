"""Thin Celery wrappers around production services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError

from production.redis_clients import shared_redis

log = logging.getLogger(__name__)

PENDING_FLAG = "pullboard:demand:pending"


def _pending_flag_set() -> bool:
    """Set the flag unless it is set; True if this call set it (one Redis round trip)."""
    ttl = settings.PULLBOARD["DEMAND_PENDING_FLAG_SECONDS"]
    client = shared_redis()
    if client is None:
        return bool(cache.add(PENDING_FLAG, 1, timeout=ttl))
    return bool(client.set(PENDING_FLAG, 1, nx=True, ex=ttl))


def _pending_flag_clear() -> None:
    client = shared_redis()
    if client is None:
        cache.delete(PENDING_FLAG)
    else:
        client.delete(PENDING_FLAG)


def demand_processing_kick() -> None:
    """Queue a drain of pending demand unless one is already queued.

    The drain task clears the flag *before* it reads, so an event committed after
    its last read always finds the flag clear and queues a new drain. The flag lives
    only a few seconds (`PULLBOARD_DEMAND_PENDING_FLAG_SECONDS`): if the worker that
    holds the queued drain dies before starting it, the next event stored after that
    queues another, instead of waiting for the broker to hand the lost one back. A
    spare drain finds nothing to claim and costs one query.
    """
    try:
        if _pending_flag_set():
            demand_process_task.delay()
    except Exception as exc:
        # The events are stored; the reconciler re-queues them once the broker is back.
        # One line, no traceback: while Redis is down this happens for every event.
        log.warning("could not queue demand processing (%s); the reconciler will", exc)
        try:
            _pending_flag_clear()
        except Exception as exc:
            log.warning("could not clear the pending-demand flag (%s)", exc)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=240,
    time_limit=300,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def demand_process_task() -> int:
    """Drain unprocessed demand in batches. Idempotent: processed events are never re-read."""
    from production.services import demand_process_pending

    _pending_flag_clear()
    batch_size = settings.PULLBOARD["DEMAND_BATCH_SIZE"]
    total = 0
    while processed := demand_process_pending(limit=batch_size):
        total += processed
    return total


@shared_task(soft_time_limit=540, time_limit=600)
def reconcile_task() -> dict[str, object]:
    """Repair what could have drifted and report it (see production.reconcile)."""
    from production.reconcile import reconcile

    report = reconcile()
    if report["levels_repaired"] or report["policy_findings"] or report["requeued_events"]:
        log.warning("reconciler found and repaired: %s", report)
    return report


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=400,
    time_limit=420,
)
def webhook_deliver_task(delivery_ids: list[int]) -> int:
    """Try the due deliveries among `delivery_ids` once each; failures schedule their retry."""
    from production.webhooks.delivery import webhook_deliveries_send

    return webhook_deliveries_send(delivery_ids=delivery_ids)


@shared_task(soft_time_limit=50, time_limit=60)
def webhook_deliver_due_task() -> int:
    """The sweep: queue pending deliveries that are due (lost messages, a worker that died)."""
    from production.webhooks.delivery import webhook_deliveries_queue_due

    return webhook_deliveries_queue_due()


@shared_task(soft_time_limit=1700, time_limit=1800)
def forecasts_refresh_task(run_id: int | None = None) -> int:
    """Refresh every forecast. Without a run id (the nightly beat), request a scheduled run."""
    from production.models import ForecastRun, ForecastRunStatus
    from production.services.forecasts import forecast_run_execute, forecast_run_request

    if run_id is None:
        run = forecast_run_request(actor_id=None, trigger="schedule", queue=False)
        if run.status != ForecastRunStatus.QUEUED:
            return run.pk
        run_id = run.pk
    if not ForecastRun.objects.filter(pk=run_id, status=ForecastRunStatus.QUEUED).exists():
        return run_id  # already taken by another worker, or finished
    return forecast_run_execute(run_id=run_id).pk


@shared_task(
    soft_time_limit=240,
    time_limit=300,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def push_plan_task() -> list[int]:
    """Plan the current period of every push line (idempotent per line and period)."""
    from production.services.planning import push_plans_run_due

    return [plan.pk for plan in push_plans_run_due()]


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=1500, time_limit=1800)
def comparison_run_task(comparison_id: int) -> str:
    """Run one queued comparison on the twin (a repeat of a finished one does nothing)."""
    from production.services.comparisons import comparison_run

    comparison = comparison_run(comparison_id=comparison_id)
    return comparison.status if comparison else "skipped"


@shared_task(soft_time_limit=300, time_limit=360)
def shadow_compare_task(weeks: int = 4) -> list[int]:
    """Nightly: every line's live policy against the other on its last weeks of demand."""
    from production.services.comparisons import shadow_comparisons_start

    return [c.pk for c in shadow_comparisons_start(weeks=weeks)]


@shared_task(soft_time_limit=240, time_limit=300)
def idempotency_keys_prune_task() -> int:
    """Forget API idempotency keys past their 24 hours."""
    from production.api.idempotency import idempotency_keys_prune

    return idempotency_keys_prune()
