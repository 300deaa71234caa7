"""Thin Celery wrappers around webhook delivery.

Task names keep the `production.tasks.` prefix they had before the concern had a
folder of its own: beat schedules and messages already queued use them.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="production.tasks.webhook_deliver_task",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=400,
    time_limit=420,
)
def webhook_deliver_task(delivery_ids: list[int]) -> int:
    """Try the due deliveries among `delivery_ids` once each; failures schedule their retry."""
    from production.webhooks.delivery import webhook_deliveries_send

    return webhook_deliveries_send(delivery_ids=delivery_ids)


@shared_task(name="production.tasks.webhook_deliver_due_task", soft_time_limit=50, time_limit=60)
def webhook_deliver_due_task() -> int:
    """The sweep: queue pending deliveries that are due (lost messages, a worker that died)."""
    from production.webhooks.delivery import webhook_deliveries_queue_due

    return webhook_deliveries_queue_due()
