"""Demand processing through real workers when other work piles up or a worker dies.

A backlog of webhook deliveries never delays demand (queues per concern), and a worker
that dies holding the queued drain stalls nothing for long: the "a drain is queued" flag
outlives it by a few seconds at most, where the broker would hand the lost message back
only after its visibility timeout (minutes).
"""

from __future__ import annotations

import time
from decimal import Decimal

import psycopg
import pytest
import redis
from django.db import connection
from django.utils import timezone

from kanban.services import loop_create
from production.models import DemandEvent, StockLevel
from production.services.demand import DemandInput, demand_record_many
from tests.factories import LineFactory, LocationFactory, ProductFactory
from tests.integration.conftest import wait_for
from tests.support import subprocess_database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _record(product, n: int) -> None:  # type: ignore[no-untyped-def]
    demand_record_many(
        [
            DemandInput(
                product=product,
                quantity=Decimal("1"),
                occurred_at=timezone.now(),
                external_id=f"ev-{n}",
                source="erp",
            )
        ]
    )
    connection.close()


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return int(cursor.fetchone()[0])


def test_a_worker_killed_holding_the_queued_drain_stalls_demand_for_seconds_only(
    start_worker, broker
):  # type: ignore[no-untyped-def]
    supermarket = LocationFactory(code="sm")
    product = ProductFactory(sku="P-1", line=LineFactory(code="l1"), supermarket=supermarket)
    loop_create(product=product, card_count=20)
    level_id = StockLevel.objects.get(product=product).pk
    connection.close()
    doomed = start_worker(concurrency=1)

    # The stock level is held elsewhere, so the worker's first drain waits mid-run...
    blocker = psycopg.connect(subprocess_database_url())
    blocker.execute(
        f"SELECT id FROM {StockLevel._meta.db_table} WHERE id = %s FOR UPDATE", [level_id]
    )
    _record(product, 1)
    wait_for(lambda: _waiting_on_locks() > 0, what="the first drain to wait on the level")
    # ...and the next event's drain is queued and handed to the same (busy) worker.
    _record(product, 2)
    unacked = redis.Redis.from_url(broker.url)
    wait_for(lambda: unacked.hlen("unacked") >= 2, what="both drains held by the worker")
    doomed.kill_hard()
    blocker.rollback()
    blocker.close()

    start_worker(concurrency=1)
    started = time.monotonic()
    n = 3
    while DemandEvent.objects.filter(processed_at__isnull=True).exists():
        elapsed = time.monotonic() - started
        assert elapsed < 20, f"{elapsed:.0f} s after a new worker started, demand still waits"
        _record(product, n)  # the ERP keeps sending, one event every half second
        n += 1
        time.sleep(0.5)
    assert DemandEvent.objects.filter(processed_at__isnull=False).count() == n - 1
    assert StockLevel.objects.get(pk=level_id).on_hand == product.container_quantity * 20 - (n - 1)


def test_demand_is_processed_while_a_backlog_of_deliveries_waits_in_its_own_queue(
    start_worker, broker
):  # type: ignore[no-untyped-def]
    from production.webhooks.tasks import webhook_deliver_task

    product = ProductFactory(sku="P-1", line=LineFactory(code="l1"), supermarket=LocationFactory())
    loop_create(product=product, card_count=20)
    connection.close()
    start_worker(concurrency=1, queues="demand")  # the deployment's `worker` service
    backlog = 2000
    for _ in range(backlog):
        webhook_deliver_task.delay([])
    for n in range(20):
        _record(product, n)
    wait_for(
        lambda: not DemandEvent.objects.filter(processed_at__isnull=True).exists(),
        timeout=15,
        what="demand processed past the deliveries' backlog",
    )
    queues = redis.Redis.from_url(broker.url)
    assert queues.llen("webhooks") == backlog, "the deliveries wait for their own workers"
    queues.delete("webhooks")
