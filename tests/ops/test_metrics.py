"""GET /metrics: behind a bearer token, the web tier's request metrics and Pullboard's own,
read in a constant number of queries whatever the plant's size."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from production.models import DemandEvent, StockLevel, WorkOrder, WorkOrderStatus
from production.tasks import reconcile_task
from production.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from tests.board.test_live_stream import run_async
from tests.bulk_plant import add_demand_history, build_pull_loops

TOKEN = "metrics-test-token"


@pytest.fixture
def metrics_on(settings):  # type: ignore[no-untyped-def]
    settings.PULLBOARD_METRICS_TOKEN = TOKEN


def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_metrics_are_off_without_a_token_and_closed_without_the_right_one(db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PULLBOARD_METRICS_TOKEN = ""
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    settings.PULLBOARD_METRICS_TOKEN = TOKEN
    assert Client().get("/metrics").status_code == 401
    wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer not-it")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Token {TOKEN}").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_the_web_tiers_request_metrics_are_there(db, metrics_on) -> None:  # type: ignore[no-untyped-def]
    Client().get("/health/live")
    samples = scrape()
    count = value(
        samples,
        "pullboard_http_request_duration_seconds_count",
        view="health-live",
        method="GET",
        status="200",
    )
    assert count >= 1
    Client().get("/health/live")
    again = scrape()
    assert (
        value(
            again,
            "pullboard_http_request_duration_seconds_count",
            view="health-live",
            method="GET",
            status="200",
        )
        == count + 1
    )


def _aged(queryset: Any, **fields: Any) -> None:
    queryset.update(**fields)  # auto_now_add fields are set after the fact


def test_demand_backlog_lag_and_rate(plant, metrics_on) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    for n, age in enumerate((90, 10)):
        event = DemandEvent.objects.create(
            product=plant.finished, quantity=1, occurred_at=now, external_id=f"open-{n}"
        )
        _aged(DemandEvent.objects.filter(pk=event.pk), created_at=now - timedelta(seconds=age))
    processed_at = now - timedelta(seconds=60)
    for n, lag in enumerate((1, 2, 3, 100)):
        event = DemandEvent.objects.create(
            product=plant.finished,
            quantity=1,
            occurred_at=now,
            external_id=f"done-{n}",
            processed_at=processed_at,
            status="fulfilled",
        )
        _aged(
            DemandEvent.objects.filter(pk=event.pk),
            created_at=processed_at - timedelta(seconds=lag),
        )
    old = DemandEvent.objects.create(  # processed before the window: not counted
        product=plant.finished,
        quantity=1,
        occurred_at=now,
        external_id="long-ago",
        processed_at=now - timedelta(hours=2),
    )
    _aged(DemandEvent.objects.filter(pk=old.pk), created_at=now - timedelta(hours=3))

    samples = scrape()
    assert value(samples, "pullboard_demand_unprocessed_events") == 2
    assert 90 <= value(samples, "pullboard_demand_oldest_unprocessed_age_seconds") < 120
    assert value(samples, "pullboard_demand_processing_lag_seconds", quantile="0.5") == 2.5
    p99 = value(samples, "pullboard_demand_processing_lag_seconds", quantile="0.99")
    assert p99 == pytest.approx(97.09)  # percentile_cont between 3 and 100
    window = django_settings.PULLBOARD_METRICS_WINDOW_SECONDS
    assert value(samples, "pullboard_demand_processed_per_second") == pytest.approx(4 / window)


def test_webhook_deliveries_due_failed_and_oldest(db, metrics_on) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    subscription = WebhookSubscription.objects.create(
        url="https://erp.example/hooks", event_types=["card.signalled"]
    )

    def delivery(status: str, next_attempt_at: Any = None, age: int = 0) -> None:
        row = WebhookDelivery.objects.create(
            subscription=subscription,
            event_type="card.signalled",
            body="{}",
            status=status,
            next_attempt_at=next_attempt_at,
            attempt_count=0 if status == DeliveryStatus.PENDING else 1,
        )
        _aged(WebhookDelivery.objects.filter(pk=row.pk), created_at=now - timedelta(seconds=age))

    delivery(DeliveryStatus.PENDING, now - timedelta(seconds=5), age=600)
    delivery(DeliveryStatus.PENDING, now + timedelta(minutes=5), age=30)
    delivery(DeliveryStatus.FAILED, age=9000)
    delivery(DeliveryStatus.SUCCEEDED, age=9999)

    samples = scrape()
    assert value(samples, "pullboard_webhook_deliveries_pending") == 2
    assert value(samples, "pullboard_webhook_deliveries_due") == 1
    assert value(samples, "pullboard_webhook_deliveries_failed") == 1
    assert 600 <= value(samples, "pullboard_webhook_oldest_pending_age_seconds") < 700


def test_open_and_late_orders_and_cards_by_status(plant, metrics_on) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()

    def order(status: str, due_in_hours: float | None) -> None:
        WorkOrder.objects.create(
            product=plant.finished,
            line=plant.assembly,
            location=plant.supermarket,
            quantity=Decimal("5"),
            origin="manual",
            status=status,
            due_at=None if due_in_hours is None else now + timedelta(hours=due_in_hours),
        )

    order(WorkOrderStatus.PLANNED, -1)  # late
    order(WorkOrderStatus.IN_PROGRESS, -2)  # late
    order(WorkOrderStatus.RELEASED, 5)
    order(WorkOrderStatus.PLANNED, None)
    order(WorkOrderStatus.DONE, -30)  # closed: neither open nor late
    samples = scrape()
    labels = {"kind": "work_order", "line": "assembly"}
    assert value(samples, "pullboard_replenishment_orders_open", **labels) == 4
    assert value(samples, "pullboard_replenishment_orders_late", **labels) == 2
    assert value(samples, "pullboard_cards", line="assembly", status="full") == 3
    assert value(samples, "pullboard_cards", line="fab", status="full") == 4


def test_cards_on_hold_by_line(plant, metrics_on) -> None:  # type: ignore[no-untyped-def]
    from kanban.models import HoldReason
    from kanban.services.holds import card_hold, loop_hold

    card = plant.finished_loop.cards.order_by("number").first()
    card_hold(card_id=card.pk, reason=HoldReason.QUALITY_HOLD, actor_id=None)
    loop_hold(loop_id=plant.component_loop.pk, reason=HoldReason.MACHINE_DOWN, actor_id=None)
    samples = scrape()
    assert value(samples, "pullboard_cards_on_hold", line="assembly") == 1
    assert value(samples, "pullboard_cards_on_hold", line="fab") == 4


def test_celery_queue_depth_per_queue(db, metrics_on) -> None:  # type: ignore[no-untyped-def]
    broker = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    broker.delete("webhooks", "planning")
    broker.rpush("webhooks", "a", "b", "c")
    broker.rpush("planning" + "\x06\x16" + "3", "d")  # a priority step of the same queue
    try:
        samples = scrape()
    finally:
        broker.delete("webhooks", "planning\x06\x163")
    assert value(samples, "pullboard_celery_queue_length", queue="webhooks") == 3
    assert value(samples, "pullboard_celery_queue_length", queue="planning") == 1
    assert value(samples, "pullboard_celery_queue_length", queue="demand") == 0


def test_the_reconcilers_last_run_findings(plant, metrics_on) -> None:  # type: ignore[no-untyped-def]
    level = StockLevel.objects.get(product=plant.component)
    StockLevel.objects.filter(pk=level.pk).update(on_hand=level.on_hand + 1)  # drifted
    before = timezone.now().timestamp()
    reconcile_task()
    samples = scrape()
    assert value(samples, "pullboard_reconciler_findings", kind="levels_repaired") == 1
    assert value(samples, "pullboard_reconciler_findings", kind="requeued_events") == 0
    assert value(samples, "pullboard_reconciler_last_run_timestamp_seconds") >= before

    reconcile_task()  # nothing left to repair: the next run says so
    assert value(scrape(), "pullboard_reconciler_findings", kind="levels_repaired") == 0


def test_a_source_that_fails_is_reported_and_the_others_still_are(db, metrics_on, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.support import free_port

    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    samples = scrape()
    assert value(samples, "pullboard_metrics_source_failed", source="celery_queues") == 1
    assert value(samples, "pullboard_metrics_source_failed", source="demand_backlog") == 0
    assert value(samples, "pullboard_demand_unprocessed_events") == 0


@pytest.mark.django_db(transaction=True)
def test_open_board_streams_are_counted(operator, plant, settings, metrics_on) -> None:  # type: ignore[no-untyped-def]
    from prometheus_client import REGISTRY

    from kanban.stream import _events
    from kanban.stream import slots as stream_slots

    settings.LIVE_EVENTS_REDIS_URL = ""  # the in-process hub is enough to count streams

    def open_streams() -> float:
        return REGISTRY.get_sample_value("pullboard_board_streams_open") or 0.0

    async def scenario() -> tuple[float, float, float]:
        before = open_streams()
        streams = []
        for line in (plant.assembly, plant.fab):
            slot = await stream_slots.acquire(None, operator.pk)
            assert isinstance(slot, stream_slots.Slot)
            streams.append(_events(line.pk, slot))
        for stream in streams:
            assert "event: ready" in await asyncio.wait_for(anext(stream), 10)
        during = open_streams()
        for stream in streams:
            await stream.aclose()
        return before, during, open_streams()

    before, during, after = run_async(scenario())
    assert during - before == 2
    assert after == before
    assert "pullboard_board_streams_open" in {name for name, _ in scrape()}


def _queries_of_a_scrape() -> int:
    with CaptureQueriesContext(connection) as queries:
        scrape()
    return len(queries)


def test_a_scrape_costs_the_same_queries_on_a_plant_ten_times_larger(db, metrics_on) -> None:  # type: ignore[no-untyped-def]
    def grow(prefix: str, loops: int) -> None:
        plant = build_pull_loops(loops, prefix=prefix)
        add_demand_history(plant, days=7)
        now = timezone.now()
        WorkOrder.objects.bulk_create(
            WorkOrder(
                product=product,
                line=plant.line,
                location=plant.supermarket,
                quantity=Decimal("5"),
                origin="kanban",
                due_at=now - timedelta(hours=n % 3),
            )
            for n, product in enumerate(plant.products)
        )
        DemandEvent.objects.bulk_create(
            DemandEvent(
                product=product,
                quantity=1,
                occurred_at=now,
                external_id=f"{product.sku}-open",
            )
            for product in plant.products
        )

    grow("S", 30)
    scrape()  # first use: nothing cached by either run
    small = _queries_of_a_scrape()
    grow("L", 300)  # and 10 lines more would cost nothing either: one GROUP BY each
    large = _queries_of_a_scrape()
    assert small == large
    assert large <= 6, large
