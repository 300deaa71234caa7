"""Celery beat's schedule of Pullboard's periodic tasks (`CELERY_BEAT_SCHEDULE`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import environ
from celery.schedules import crontab


def beat_schedule(env: environ.Env) -> dict[str, dict[str, Any]]:
    return {
        "reconcile-pull-engine": {
            "task": "production.tasks.reconcile_task",
            "schedule": timedelta(
                seconds=env.int("PULLBOARD_RECONCILE_EVERY_SECONDS", default=300)
            ),
        },
        "send-due-webhooks": {
            "task": "production.tasks.webhook_deliver_due_task",
            "schedule": timedelta(seconds=30),
        },
        # A mode switch dated in the future takes effect within a minute of its date.
        "apply-dated-mode-switches": {
            "task": "production.tasks.line_mode_switches_apply_task",
            "schedule": timedelta(seconds=60),
        },
        "prune-idempotency-keys": {
            "task": "production.tasks.idempotency_keys_prune_task",
            "schedule": timedelta(hours=1),
        },
        "refresh-forecasts-nightly": {
            "task": "production.tasks.forecasts_refresh_task",
            "schedule": crontab(hour=1, minute=30),
        },
        # Push lines: plan and release the current period. Idempotent, so running it more
        # often than the period only picks up lines switched to push since the last run.
        "plan-push-lines": {
            "task": "production.tasks.push_plan_task",
            "schedule": (
                timedelta(seconds=env.int("PULLBOARD_PUSH_PLAN_EVERY_SECONDS"))
                if env.str("PULLBOARD_PUSH_PLAN_EVERY_SECONDS", default="")
                else crontab(hour=5, minute=0)
            ),
        },
        # The line twin replays each line's last weeks of demand under the other policy.
        "shadow-compare-nightly": {
            "task": "production.tasks.shadow_compare_task",
            "schedule": crontab(hour=3, minute=0),
        },
        # Open call-offs and transfers past due: marked late, one alert each.
        "mark-late-replenishment": {
            "task": "production.supply.tasks.replenishment_late_task",
            "schedule": timedelta(seconds=60),
        },
        "size-kanban-loops-nightly": {
            "task": "kanban.tasks.loops_size_task",
            "schedule": crontab(hour=2, minute=0),
        },
    }
