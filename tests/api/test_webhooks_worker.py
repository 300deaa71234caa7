"""Webhooks through real Celery workers: nothing is lost when a worker dies mid-delivery."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from production.services import work_order_create
from production.webhooks.models import WebhookDelivery
from production.webhooks.services import webhook_subscription_create
from production.webhooks.tasks import webhook_deliver_due_task
from tests.api.receiver import Receiver, running_receiver
from tests.factories import LineFactory, LocationFactory, ProductFactory
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_delivery_survives_a_worker_killed_mid_send(start_worker):
    product = ProductFactory(line=LineFactory(), supermarket=LocationFactory())
    hold = threading.Event()
    with running_receiver(Receiver(hold_first=hold)) as receiver:
        sub = webhook_subscription_create(url=receiver.url, event_types=["work_order.created"])
        receiver.secret = sub.secret
        worker = start_worker(concurrency=1)
        work_order_create(product=product, quantity=Decimal("3"))  # commits: queued on commit
        assert receiver.first_arrived.wait(30), "the worker never started the delivery"

        worker.kill_hard()  # kill -9 while the receiver holds the request
        hold.set()
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == "pending", "a delivery nobody saw answered is not done"
        assert delivery.attempts.count() == 0

        start_worker(concurrency=1)
        # The dead worker's lease runs out; the periodic sweep (beat) finds it due.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        webhook_deliver_due_task.delay()
        wait_for(
            lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == "succeeded",
            timeout=60,
            what="the delivery to be sent again by the new worker",
        )
    ids = [r["headers"]["webhook-id"] for r in receiver.received]
    assert ids == [delivery.message_id, delivery.message_id], "same id: receivers de-duplicate"
    assert all(r["verified"] for r in receiver.received)
    assert [a.status_code for a in WebhookDelivery.objects.get().attempts.all()] == [200]


def test_deliveries_wait_in_the_queue_until_a_worker_starts(start_worker):
    product = ProductFactory(line=LineFactory(), supermarket=LocationFactory())
    with running_receiver() as receiver:
        sub = webhook_subscription_create(url=receiver.url, event_types=["work_order.created"])
        receiver.secret = sub.secret
        for _ in range(3):
            work_order_create(product=product, quantity=Decimal("1"))
        assert WebhookDelivery.objects.filter(status="pending").count() == 3
        start_worker(concurrency=2)
        wait_for(
            lambda: WebhookDelivery.objects.filter(status="succeeded").count() == 3,
            timeout=60,
            what="three deliveries",
        )
    assert len({r["headers"]["webhook-id"] for r in receiver.received}) == 3
    assert all(r["verified"] for r in receiver.received)
