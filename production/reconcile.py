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
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from production.locks import lock_stock_levels
from production.models import DemandEvent, StockLevel, StockMove
from production.policies import registered_policies

log = logging.getLogger(__name__)


def requeue_stale_demand(*, older_than: timedelta) -> int:
    from production.tasks import demand_process_task

    stale = DemandEvent.objects.filter(
        processed_at__isnull=True, created_at__lt=timezone.now() - older_than
    ).count()
    if stale:
        demand_process_task.delay()
    return stale


def repair_levels() -> list[dict[str, Any]]:
    """Set every level that disagrees with its ledger to the ledger's sum."""
    ledger = {
        (row["product_id"], row["location_id"]): row["total"]
        for row in StockMove.objects.values("product_id", "location_id").annotate(
            total=Sum("quantity")
        )
    }
    suspects = [
        level.pk
        for level in StockLevel.objects.only("pk", "product_id", "location_id", "on_hand")
        if ledger.get((level.product_id, level.location_id), Decimal("0")) != level.on_hand
    ]
    repaired = []
    for level_id in suspects:
        with transaction.atomic():
            level = lock_stock_levels([level_id]).get()
            total = StockMove.objects.filter(
                product_id=level.product_id, location_id=level.location_id
            ).aggregate(total=Sum("quantity"))["total"] or Decimal("0")
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
                level.save(update_fields=["on_hand", "updated_at"])
    return repaired


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
