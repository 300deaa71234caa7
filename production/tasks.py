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
PENDING_FLAG_TTL = 60


def _pending_flag_set() -> bool:
    """Set the flag unless it is set; True if this call set it (one Redis round trip)."""
    client = shared_redis()
    if client is None:
        return bool(cache.add(PENDING_FLAG, 1, timeout=PENDING_FLAG_TTL))
    return bool(client.set(PENDING_FLAG, 1, nx=True, ex=PENDING_FLAG_TTL))


def _pending_flag_clear() -> None:
    client = shared_redis()
    if client is None:
        cache.delete(PENDING_FLAG)
    else:
        client.delete(PENDING_FLAG)


def demand_processing_kick() -> None:
    """Queue a drain of pending demand unless one is already queued.

    The drain task clears the flag *before* it reads, so an event committed after
    its last read always finds the flag clear and queues a new drain.
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


@shared_task(soft_time_limit=240, time_limit=300)
def idempotency_keys_prune_task() -> int:
    """Forget API idempotency keys past their 24 hours."""
    from production.api.idempotency import idempotency_keys_prune

    return idempotency_keys_prune()
