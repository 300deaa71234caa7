"""Thin Celery wrappers around production services."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError

from production.redis_clients import shared_redis

log = logging.getLogger(__name__)

PENDING_FLAG = "pullboard:demand:pending"


def _pending_flag(partition: int | None) -> str:
    return PENDING_FLAG if partition is None else f"{PENDING_FLAG}:{partition}"


# A partition's flag is set only while no catch-all drain is queued: that drain reads every
# partition after it clears its own flag, so it covers the event (one round trip either way).
_SET_UNLESS_ALL_QUEUED = """
if redis.call('exists', KEYS[1]) == 1 then return 0 end
if redis.call('set', KEYS[2], 1, 'NX', 'EX', ARGV[1]) then return 1 end
return 0
"""


@functools.cache
def _flag_script(client: Any) -> Any:
    return client.register_script(_SET_UNLESS_ALL_QUEUED)


def _pending_flag_set(partition: int | None = None) -> bool:
    """Set the flag unless it is set; True if this call set it (one Redis round trip)."""
    ttl = settings.PULLBOARD["DEMAND_PENDING_FLAG_SECONDS"]
    client = shared_redis()
    key = _pending_flag(partition)
    if client is None:
        if partition is not None and cache.get(PENDING_FLAG):
            return False
        return bool(cache.add(key, 1, timeout=ttl))
    if partition is None:
        return bool(client.set(key, 1, nx=True, ex=ttl))
    return bool(_flag_script(client)(keys=[PENDING_FLAG, key], args=[ttl]))


def _pending_flag_clear(partition: int | None = None) -> None:
    client = shared_redis()
    if client is None:
        cache.delete(_pending_flag(partition))
    else:
        client.delete(_pending_flag(partition))


def demand_processing_kick(product_ids: Iterable[int] | None = None) -> None:
    """Queue a drain of pending demand unless one is already queued.

    One drain (and one flag) per partition of the products given (all demand without
    them). The drain task clears its flag *before* it reads, so an event committed after
    its last read always finds the flag clear and queues a new drain. A flag lives only a
    few seconds (`PULLBOARD_DEMAND_PENDING_FLAG_SECONDS`): if the worker that holds the
    queued drain dies before starting it, the next event stored after that queues
    another, instead of waiting for the broker to hand the lost one back. A spare drain
    finds nothing to claim and costs one query.
    """
    from production.services.demand_processing import demand_partition_of, demand_partitions

    partitions: list[int | None] = [None]  # one partition: the catch-all drain is the only one
    if product_ids is not None and demand_partitions() > 1:
        partitions = [*sorted({demand_partition_of(p) for p in product_ids})]
    try:
        for partition in partitions:
            if _pending_flag_set(partition):
                demand_process_task.delay(partition)
    except Exception as exc:
        # The events are stored; the reconciler re-queues them once the broker is back.
        # One line, no traceback: while Redis is down this happens for every event.
        log.warning("could not queue demand processing (%s); the reconciler will", exc)
        try:
            for partition in partitions:
                _pending_flag_clear(partition)
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
def demand_process_task(partition: int | None = None) -> int:
    """Drain unprocessed demand (of one partition, or all) in batches. Idempotent:
    processed events are never re-read."""
    from production.services import demand_process_pending

    _pending_flag_clear(partition)
    batch_size = settings.PULLBOARD["DEMAND_BATCH_SIZE"]
    total = 0
    while processed := demand_process_pending(limit=batch_size, partition=partition):
        total += processed
        if processed < batch_size:
            # Nothing more was there when it read: what came after queued its own drain.
            break
    return total


@shared_task(soft_time_limit=540, time_limit=600)
def reconcile_task() -> dict[str, object]:
    """Repair what could have drifted and report it (see production.reconcile)."""
    from production.reconcile import reconcile, reconcile_run_record

    started_at, started = time.time(), time.monotonic()
    report = reconcile()
    reconcile_run_record(report, started_at=started_at, duration=time.monotonic() - started)
    if report["levels_repaired"] or report["policy_findings"] or report["requeued_events"]:
        log.warning("reconciler found and repaired: %s", report)
    return report


@shared_task(soft_time_limit=240, time_limit=300)
def idempotency_keys_prune_task() -> int:
    """Forget API idempotency keys past their 24 hours."""
    from production.api.idempotency import idempotency_keys_prune

    return idempotency_keys_prune()


@shared_task(soft_time_limit=50, time_limit=60)
def line_mode_switches_apply_task() -> list[int]:
    """Apply the dated mode switches whose time has come (beat, every minute)."""
    from production.services import line_mode_switches_apply_due

    return [switch.pk for switch in line_mode_switches_apply_due()]
