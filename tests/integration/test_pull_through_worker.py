"""1,000 demand events through real Celery workers on PostgreSQL: exact totals, exactly once.

Every scenario checks the same thing a planner would: per product, the stock left, the
backorders open, the containers emptied and the work orders raised are exactly what the
demand implies, the ledger and the levels agree, and every event was processed once.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from kanban.models import KanbanCard
from kanban.services import loop_create
from production.models import DemandEvent, Product, StockLevel, StockMove, WorkOrder
from production.reconcile import reconcile
from production.services.demand import DemandInput, demand_record_many
from production.tasks import demand_process_task
from tests.factories import LineFactory, LocationFactory, ProductFactory
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
D = Decimal

# (container quantity, cards): some products run out and backorder, some do not.
LOOPS = [(D("10"), 20), (D("5"), 10), (D("20"), 30), (D("8"), 6), (D("12"), 40)]


@dataclass
class Scenario:
    products: list[Product]
    items: list[DemandInput]

    def expected(self) -> dict[str, dict[str, Decimal | int]]:
        out = {}
        for product, (container, cards) in zip(self.products, LOOPS, strict=True):
            total = sum((i.quantity for i in self.items if i.product == product), D(0))
            stock = container * cards
            consumed = min(total, stock)
            out[product.sku] = {
                "on_hand": stock - consumed,
                "backordered": total - consumed,
                "empty_cards": int(consumed // container),
                "work_orders": int(consumed // container),
            }
        return out


def actual(products: list[Product]) -> dict[str, dict[str, Decimal | int]]:
    out = {}
    for product in products:
        out[product.sku] = {
            "on_hand": StockLevel.objects.get(product=product).on_hand,
            "backordered": DemandEvent.objects.filter(product=product).aggregate(
                t=Sum("open_backorder_quantity")
            )["t"],
            "empty_cards": KanbanCard.objects.filter(loop__product=product, status="empty").count(),
            "work_orders": WorkOrder.objects.filter(product=product).count(),
        }
    return out


def assert_books_balance() -> None:
    for level in StockLevel.objects.all():
        ledger = StockMove.objects.filter(
            product_id=level.product_id, location_id=level.location_id
        ).aggregate(t=Sum("quantity"))["t"]
        assert ledger == level.on_hand >= 0
    consumed = -(StockMove.objects.filter(kind="consumption").aggregate(t=Sum("quantity"))["t"])
    served = DemandEvent.objects.aggregate(t=Sum("quantity") - Sum("open_backorder_quantity"))["t"]
    assert consumed == served, "every unit consumed is demand served, once"


@pytest.fixture
def scenario() -> Scenario:
    line = LineFactory(code="final", wip_limit=50)
    supermarket = LocationFactory(code="sm")
    products = []
    for n, (container, cards) in enumerate(LOOPS):
        product = ProductFactory(
            sku=f"P-{n}", line=line, supermarket=supermarket, container_quantity=container
        )
        loop_create(product=product, card_count=cards)
        products.append(product)
    rng = random.Random(7)
    now = timezone.now()
    items = [
        DemandInput(
            product=rng.choice(products),
            quantity=D(rng.randint(1, 4)),
            occurred_at=now - timedelta(seconds=1000 - i),
            external_id=f"ev-{i}",
            source="erp",
        )
        for i in range(1000)
    ]
    connection.close()
    return Scenario(products, items)


def send(items: list[DemandInput], *, chunk: int = 25, pause: float = 0.0) -> None:
    """Record demand as an ERP would: many small requests, each its own transaction."""
    try:
        for start in range(0, len(items), chunk):
            demand_record_many(items[start : start + chunk])
            if pause:
                time.sleep(pause)
    finally:
        connection.close()  # a sender thread's connection must not outlive it


def all_processed() -> bool:
    return not DemandEvent.objects.filter(processed_at__isnull=True).exists()


def test_a_thousand_events_through_two_parallel_workers_give_exact_totals(scenario, start_worker):  # type: ignore[no-untyped-def]
    start_worker(concurrency=2, batch_size=50)
    send(scenario.items)
    for _ in range(3):  # more drains than one: both worker processes take batches at once
        demand_process_task.delay()
    wait_for(all_processed, what="all demand processed")
    assert DemandEvent.objects.count() == 1000
    assert actual(scenario.products) == scenario.expected()
    assert_books_balance()


def test_sending_every_event_twice_changes_nothing(scenario, start_worker):  # type: ignore[no-untyped-def]
    start_worker(concurrency=2)
    send(scenario.items)
    wait_for(all_processed, what="first pass processed")
    before = actual(scenario.products)
    moves = StockMove.objects.count()
    send(scenario.items)  # the ERP retries everything
    demand_process_task.delay()
    time.sleep(2)
    assert DemandEvent.objects.count() == 1000
    assert StockMove.objects.count() == moves
    assert actual(scenario.products) == before == scenario.expected()


def test_kill_9_of_the_worker_mid_run_then_a_new_worker_and_the_reconciler(scenario, start_worker):  # type: ignore[no-untyped-def]
    worker = start_worker(concurrency=2, batch_size=5)
    sender = threading.Thread(target=send, args=(scenario.items,), kwargs={"pause": 0.02})
    sender.start()
    wait_for(
        lambda: DemandEvent.objects.filter(processed_at__isnull=False).count() >= 150,
        what="the run to be under way",
    )
    worker.kill_hard()
    sender.join()
    left = DemandEvent.objects.filter(processed_at__isnull=True).count()
    assert left > 0, "the kill should land mid-run"
    start_worker(concurrency=2)
    reconcile(stale_after=timedelta(0))  # what beat runs every few minutes
    wait_for(all_processed, what="the rest processed by the new worker")
    assert actual(scenario.products) == scenario.expected()
    assert_books_balance()


def test_a_redis_restarts_mid_run_lose_nothing(
    scenario, start_worker, broker, settings, monkeypatch
):  # type: ignore[no-untyped-def]
    """The one Redis (broker, processing flag, live hints) goes down twice while demand
    flows; the worker reconnects each time and nothing is lost.

    Before `config/broker.py`, kombu's Redis transport now and then stopped the worker
    instead ("Unrecoverable error: ... 'NoneType' object has no attribute 'hostname'"),
    when Redis left while the worker held unacknowledged messages."""
    settings.REDIS_URL = broker.url  # this process's kicks go to the Redis that restarts
    worker = start_worker(concurrency=2, batch_size=20, redis_url=broker.url)
    sender = threading.Thread(target=send, args=(scenario.items,), kwargs={"pause": 0.03})
    sender.start()
    for stored in (300, 600):
        wait_for(lambda n=stored: DemandEvent.objects.count() >= n, what="the run to be under way")
        broker.kill()  # every queued message is gone: this Redis keeps nothing on disk
        time.sleep(1)
        broker.start()
    sender.join()
    assert DemandEvent.objects.count() == 1000, "every event was stored while Redis was down"
    time.sleep(2)
    assert worker.process.poll() is None, "the worker stopped instead of reconnecting"
    reconcile(stale_after=timedelta(0))
    wait_for(all_processed, timeout=90, what="all demand processed after the restart")
    assert actual(scenario.products) == scenario.expected()
    assert_books_balance()
