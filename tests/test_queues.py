"""Queues per concern: demand processing, webhooks, planning and comparisons each have
their own, the deployment runs a worker for every one, and the delivery sweep sends
everything that is due."""

from __future__ import annotations

import shlex
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from config.celery import app as celery_app
from production.webhooks import dispatch
from production.webhooks.delivery import webhook_deliveries_queue_due
from production.webhooks.models import WebhookDelivery
from production.webhooks.services import webhook_subscription_create
from tests.test_deployment import compose_config

DECLARED = {queue.name for queue in settings.CELERY_TASK_QUEUES}
CONCERNS = {
    "production.tasks.demand_process_task": "demand",
    "production.tasks.webhook_deliver_task": "webhooks",
    "production.tasks.webhook_deliver_due_task": "webhooks",
    "production.tasks.forecasts_refresh_task": "planning",
    "production.tasks.push_plan_task": "planning",
    "kanban.tasks.loops_size_task": "planning",
    "production.tasks.comparison_run_task": "comparisons",
    "production.tasks.shadow_compare_task": "comparisons",
    "production.tasks.reconcile_task": "default",
    "production.tasks.idempotency_keys_prune_task": "default",
    "production.tasks.line_mode_switches_apply_task": "default",
    # Supply: the late sweep, its e-mails and the call-offs' e-mails (small, few).
    "production.supply.tasks.replenishment_late_task": "default",
    "production.supply.tasks.replenishment_late_mail_task": "default",
    "production.tasks.call_off_mail_send_task": "default",
    "production.tasks.call_off_mails_send_due_task": "default",
}


def queue_of(task_name: str) -> str:
    return str(celery_app.amqp.router.route({}, task_name)["queue"].name)


def test_every_task_goes_to_the_queue_of_its_concern() -> None:
    celery_app.loader.import_default_modules()  # every app's tasks module
    ours = {name for name in celery_app.tasks if name.startswith(("production.", "kanban."))}
    assert ours == set(CONCERNS), "a new task needs its queue here and in the settings"
    assert {name: queue_of(name) for name in ours} == CONCERNS
    assert set(CONCERNS.values()) == DECLARED
    others = [name for name, queue in CONCERNS.items() if queue == "demand"]
    assert others == ["production.tasks.demand_process_task"], "demand has its queue alone"


def consumed_queues(command: list[str]) -> set[str]:
    words = shlex.split(" ".join(command))
    assert "worker" in words
    return set(words[words.index("-Q") + 1].split(",")) if "-Q" in words else DECLARED


def test_the_deployment_runs_a_worker_for_every_queue_and_one_for_demand_alone() -> None:
    services = compose_config({})["services"]
    workers = {
        name: consumed_queues(service["command"])
        for name, service in services.items()
        if "celery -A config worker" in " ".join(service.get("command", []))
    }
    assert set().union(*workers.values()) == DECLARED
    assert [name for name, queues in workers.items() if "demand" in queues] == ["worker"]
    assert workers["worker"] == {"demand"}
    for name in workers:
        assert services[name]["healthcheck"]["test"], name


@pytest.mark.django_db
def test_the_sweep_queues_every_due_delivery_not_a_first_page(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    subscription = webhook_subscription_create(
        url="https://erp.example/hooks", event_types=["demand.received"]
    )
    due = timezone.now() - timedelta(seconds=1)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription=subscription,
            message_id=f"msg_{n}",
            event_type="demand.received",
            body="{}",
            next_attempt_at=due if n < 1200 else due + timedelta(hours=1),
        )
        for n in range(1300)
    )
    queued: list[int] = []
    monkeypatch.setattr(dispatch, "queue_deliveries", queued.extend)

    assert webhook_deliveries_queue_due(page=500) == 1200
    assert len(queued) == len(set(queued)) == 1200
    not_due = WebhookDelivery.objects.filter(next_attempt_at__gt=timezone.now())
    assert not set(queued) & set(not_due.values_list("pk", flat=True))
