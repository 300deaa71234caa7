"""Drift repair: what could have drifted is recomputed, repaired where it can be, reported.

- Demand events left unprocessed (a worker died, the broker lost a message) are queued again.
- Stock levels are compared with the sum of their ledger; the ledger is the truth.
- Each replenishment policy checks its own state against stock (the pull policy: cards).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from production.bulk import bulk_update_rows
from production.locks import lock_stock_levels
from production.models import DemandEvent, StockLevel, StockMove
from production.policies import registered_policies

log = logging.getLogger(__name__)

ZERO = Decimal("0")
# The last run's findings (the metrics endpoint reads them). In the cache: Redis in the
# services profile, rewritten every run, so losing it costs one run's figures at most.
LAST_RUN_KEY = "pullboard:reconcile:last-run"
REPAIR_CHUNK = 500  # levels (or loops) repaired per transaction: short locks, few queries


def requeue_stale_demand(*, older_than: timedelta) -> int:
    from production.tasks import demand_process_task

    stale = DemandEvent.objects.filter(
        processed_at__isnull=True, created_at__lt=timezone.now() - older_than
    ).count()
    if stale:
        demand_process_task.delay()
    return stale


def repair_levels(*, chunk: int = REPAIR_CHUNK) -> list[dict[str, Any]]:
    """Set every level that disagrees with its ledger to the ledger's sum.

    Found with one pass over the ledger and one over the levels; the suspects are then
    locked, summed again and written a chunk at a time, so the queries grow with the
    drift found, never with the plant.
    """
    ledger = _ledger_sums(StockMove.objects.all())
    suspects = [
        level_id
        for level_id, product_id, location_id, on_hand in StockLevel.objects.order_by().values_list(
            "pk", "product_id", "location_id", "on_hand"
        )
        if ledger.get((product_id, location_id), ZERO) != on_hand
    ]
    repaired: list[dict[str, Any]] = []
    for start in range(0, len(suspects), chunk):
        repaired += _repair_level_ids(suspects[start : start + chunk])
    return repaired


@transaction.atomic
def _repair_level_ids(level_ids: list[int]) -> list[dict[str, Any]]:
    levels = list(lock_stock_levels(level_ids))
    pairs = {(level.product_id, level.location_id) for level in levels}
    ledger = _ledger_sums(
        StockMove.objects.filter(
            product_id__in={p for p, _ in pairs}, location_id__in={loc for _, loc in pairs}
        )
    )
    repaired, changed = [], []
    now = timezone.now()
    for level in levels:
        total = ledger.get((level.product_id, level.location_id), ZERO)
        if total != level.on_hand and total >= 0:
            repaired.append(
                {
                    "product_id": level.product_id,
                    "location_id": level.location_id,
                    "level": str(level.on_hand),
                    "ledger": str(total),
                }
            )
            level.on_hand = total
            level.updated_at = now
            changed.append(level)
    bulk_update_rows(changed, ["on_hand", "updated_at"])
    return repaired


def _ledger_sums(moves: QuerySet[StockMove]) -> dict[tuple[int, int], Decimal]:
    return {
        (product_id, location_id): total
        for product_id, location_id, total in moves.order_by()
        .values("product_id", "location_id")
        .annotate(total=Sum("quantity"))
        .values_list("product_id", "location_id", "total")
    }


def reconcile(*, stale_after: timedelta | None = None) -> dict[str, Any]:
    if stale_after is None:
        stale_after = timedelta(seconds=settings.PULLBOARD["RECONCILE_STALE_SECONDS"])
    report: dict[str, Any] = {
        "requeued_events": requeue_stale_demand(older_than=stale_after),
        "levels_repaired": repair_levels(),
        "policy_findings": [],
    }
    for mode, policy in registered_policies().items():
        report["policy_findings"] += [f"{mode}: {f}" for f in policy.reconcile()]
    return report


def reconcile_run_record(report: dict[str, Any], *, started_at: float, duration: float) -> None:
    """Keep what the run found, by kind, for the metrics (`last_reconcile_run`)."""
    try:
        _store_last_run(report, started_at=started_at, duration=duration)
    except Exception as exc:  # Redis away: the repairs are done; only the figures wait
        log.warning("could not keep the reconciler's findings for the metrics (%s)", exc)


def _store_last_run(report: dict[str, Any], *, started_at: float, duration: float) -> None:
    cache.set(
        LAST_RUN_KEY,
        {
            "finished_at": started_at + duration,
            "duration_seconds": duration,
            "findings": {
                "requeued_events": int(report["requeued_events"]),
                "levels_repaired": len(report["levels_repaired"]),
                "policy_findings": len(report["policy_findings"]),
            },
        },
        timeout=None,
    )


def last_reconcile_run() -> dict[str, Any] | None:
    run = cache.get(LAST_RUN_KEY)
    return run if isinstance(run, dict) else None
