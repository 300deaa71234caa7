"""Thin Celery wrappers around production services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError

log = logging.getLogger(__name__)

PENDING_FLAG = "pullboard:demand:pending"


def demand_processing_kick() -> None:
    """Queue a drain of pending demand unless one is already queued.

    The drain task clears the flag *before* it reads, so an event committed after
    its last read always finds the flag clear and queues a new drain.
    """
    try:
        if cache.add(PENDING_FLAG, 1, timeout=60):
            demand_process_task.delay()
    except Exception:
        # The events are stored; the reconciler re-queues them once the broker is back.
        log.warning("could not queue demand processing; the reconciler will", exc_info=True)
        try:
            cache.delete(PENDING_FLAG)
        except Exception:
            log.warning("could not clear the pending-demand flag", exc_info=True)


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

    cache.delete(PENDING_FLAG)
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
