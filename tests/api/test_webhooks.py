"""Signed webhooks: subscriptions, Standard Webhooks signatures, retries, nothing lost."""

from __future__ import annotations

import random
import socket
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kanban.models import CardStatus
from production.services import work_order_create
from production.webhooks import delivery as sender
from production.webhooks.delivery import RetryPolicy, webhook_deliveries_queue_due
from production.webhooks.models import WebhookDelivery, WebhookSubscription
from production.webhooks.services import webhook_subscription_create
from tests.api.receiver import Receiver, running_receiver


@pytest.fixture
def receiver():
    with running_receiver() as r:
        yield r


def subscribe(receiver: Receiver, *types: str, owner_id: int | None = None) -> WebhookSubscription:
    sub = webhook_subscription_create(url=receiver.url, event_types=list(types), owner_id=owner_id)
    receiver.secret = sub.secret
    return sub


def make_due() -> None:
    """Time passes: every pending delivery's retry (or lease) comes due."""
    WebhookDelivery.objects.filter(status="pending").update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_subscriptions_are_managed_through_the_api(erp, operator_api, receiver, db):
    body = {"url": receiver.url, "event_types": ["demand.received", "work_order.completed"]}
    created = erp.post("/api/v1/webhooks/", body, format="json")
    assert created.status_code == 201
    assert created.json()["secret"].startswith("whsec_")
    sub_id = created.json()["id"]
    patched = erp.patch(f"/api/v1/webhooks/{sub_id}/", {"is_active": False}, format="json")
    assert patched.json()["is_active"] is False
    bad = erp.post("/api/v1/webhooks/", {"url": "not a url", "event_types": ["x"]}, format="json")
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"url", "event_types[0]"}
    assert operator_api.get("/api/v1/webhooks/").status_code == 403
    assert erp.delete(f"/api/v1/webhooks/{sub_id}/").status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_demand_sent_by_the_erp_is_announced_signed(
    erp, plant, receiver, django_capture_on_commit_callbacks
):
    subscribe(receiver, "demand.received")
    with django_capture_on_commit_callbacks(execute=True):
        response = erp.post(
            "/api/v1/demand-events/",
            [{"external_id": "SO-1", "product": "F-100", "quantity": "2"}],
            format="json",
        )
    assert response.status_code == 201
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got["verified"], "the signature must check with the subscription's secret"
    assert got["headers"]["webhook-id"].startswith("msg_")
    assert got["headers"]["webhook-signature"].startswith("v1,")
    assert got["body"]["type"] == "demand.received"
    assert got["body"]["data"]["external_id"] == "SO-1"
    assert got["body"]["data"]["product"] == "F-100"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "succeeded" and delivery.attempts.get().status_code == 200


def test_a_wrong_secret_does_not_verify(plant, receiver, django_capture_on_commit_callbacks):
    subscribe(receiver, "work_order.created")
    receiver.secret = "whsec_" + "QUJD" * 8  # not the subscription's
    with django_capture_on_commit_callbacks(execute=True):
        work_order_create(product=plant.component, quantity=Decimal("1"))
    assert len(receiver.received) == 1
    assert receiver.verified() == []


def test_failures_are_retried_with_backoff_and_logged(
    plant, receiver, django_capture_on_commit_callbacks
):
    subscribe(receiver, "work_order.created")
    receiver.answers = [500, 503]
    with django_capture_on_commit_callbacks(execute=True):
        work_order_create(product=plant.component, quantity=Decimal("1"))
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempt_count == 1
    first_wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 0 < first_wait <= 5

    for _ in range(2):
        make_due()
        with django_capture_on_commit_callbacks(execute=True):
            webhook_deliveries_queue_due()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert [a.status_code for a in delivery.attempts.all()] == [500, 503, 200]
    assert [a.response_body for a in delivery.attempts.all()] == ["try later", "try later", "ok"]
    ids = {r["headers"]["webhook-id"] for r in receiver.received}
    assert ids == {delivery.message_id}, "every retry carries the same webhook-id"
    assert all(r["verified"] for r in receiver.received)


def test_backoff_grows_with_jitter_and_is_bounded():
    policy = RetryPolicy(base_seconds=5, cap_seconds=60, max_attempts=8)
    rng = random.Random(7)
    delays = [policy.delay(n, rng) for n in range(1, 9)]
    for n, delay in enumerate(delays, start=1):
        raw = min(60, 5 * 2 ** (n - 1))
        assert raw / 2 <= delay <= raw
    assert len({round(d, 6) for d in delays}) == len(delays)  # jitter: no two alike


def test_it_gives_up_after_the_last_attempt_and_can_be_redelivered(
    erp, integration_user, plant, receiver, django_capture_on_commit_callbacks, settings
):
    settings.PULLBOARD = {**settings.PULLBOARD, "WEBHOOKS": {"max_attempts": 2}}
    subscribe(receiver, "work_order.created", owner_id=integration_user.pk)
    receiver.answers = [500, 500]
    with django_capture_on_commit_callbacks(execute=True):
        work_order_create(product=plant.component, quantity=Decimal("1"))
    make_due()
    with django_capture_on_commit_callbacks(execute=True):
        webhook_deliveries_queue_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempt_count == 2

    log = erp.get(f"/api/v1/webhook-deliveries/{delivery.pk}/").json()
    assert [a["status_code"] for a in log["attempts"]] == [500, 500]
    with django_capture_on_commit_callbacks(execute=True):
        response = erp.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 202
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert receiver.received[-1]["headers"]["webhook-id"] == delivery.message_id


def test_a_receiver_that_is_down_loses_nothing(plant, django_capture_on_commit_callbacks):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    sub = webhook_subscription_create(
        url=f"http://127.0.0.1:{dead_port}/hooks", event_types=["work_order.created"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        work_order_create(product=plant.component, quantity=Decimal("1"))
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert "ConnectionError" in delivery.attempts.get().error

    with running_receiver(Receiver(secret=sub.secret)) as receiver:
        WebhookSubscription.objects.filter(pk=sub.pk).update(url=receiver.url)
        make_due()
        with django_capture_on_commit_callbacks(execute=True):
            webhook_deliveries_queue_due()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert [r["verified"] for r in receiver.received] == [True]


def test_a_delivery_whose_worker_died_is_sent_after_its_lease(
    plant, receiver, django_capture_on_commit_callbacks, monkeypatch
):
    subscribe(receiver, "work_order.created")
    # The broker is down when the change commits: nothing is queued, the row is kept.
    from production.webhooks import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.webhook_deliver_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        work_order_create(product=plant.component, quantity=Decimal("1"))
    monkeypatch.undo()
    delivery = WebhookDelivery.objects.get()
    assert receiver.received == [] and delivery.status == "pending"

    # A worker claims it and dies before sending: the lease keeps others off until it ends.
    assert sender._claim(delivery.pk, timezone.now()) is not None
    with django_capture_on_commit_callbacks(execute=True):
        webhook_deliveries_queue_due()
    assert receiver.received == []

    make_due()  # the lease ran out
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_deliveries_queue_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and len(receiver.received) == 1


def test_the_domain_events_reach_their_subscribers(
    erp, planner_api, operator_api, plant, receiver, django_capture_on_commit_callbacks
):
    subscribe(
        receiver,
        "card.signalled",
        "work_order.created",
        "work_order.completed",
        "stock.below_minimum",
        "line.mode_changed",
    )
    card = plant.finished_loop.cards.order_by("number").first()
    with django_capture_on_commit_callbacks(execute=True):
        operator_api.post(f"/api/v1/cards/{card.pk}/move/", {"to": CardStatus.EMPTY}, format="json")
    assert sorted(receiver.types()) == ["card.signalled", "work_order.created"]
    signalled = next(r for r in receiver.received if r["body"]["type"] == "card.signalled")
    assert signalled["body"]["data"]["card"] == card.pk

    # 10 of F-100 left (minimum: one container of 5); demand for 6 takes it below.
    with django_capture_on_commit_callbacks(execute=True):
        erp.post(
            "/api/v1/demand-events/",
            {"external_id": "SO-9", "product": "F-100", "quantity": "6"},
            format="json",
        )
    low = [
        r["body"]["data"] for r in receiver.received if r["body"]["type"] == "stock.below_minimum"
    ]
    assert low == [
        {"product": "F-100", "location": "sm-main", "on_hand": "4.000", "minimum": "5.000"}
    ]

    order = work_order_create(product=plant.component, quantity=Decimal("1"))
    for verb in ("release", "start", "complete"):
        with django_capture_on_commit_callbacks(execute=True):
            erp.post(f"/api/v1/work-orders/{order.pk}/{verb}/", format="json")
    with django_capture_on_commit_callbacks(execute=True):
        planner_api.post(
            "/api/v1/lines/fab/switch-mode/", {"mode": "push", "reason": "peak"}, format="json"
        )
    assert receiver.types()[-2:] == ["work_order.completed", "line.mode_changed"]
    assert receiver.received[-1]["body"]["data"]["to_mode"] == "push"
    assert all(r["verified"] for r in receiver.received)


def test_no_subscription_no_delivery_rows(erp, plant):
    erp.post(
        "/api/v1/demand-events/",
        [{"external_id": f"SO-{n}", "product": "F-100", "quantity": "1"} for n in range(50)],
        format="json",
    )
    assert not WebhookDelivery.objects.exists()
