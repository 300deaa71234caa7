"""Demand drains partitioned by product: drains of disjoint products run side by side."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from kanban.services import loop_create
from production.models import DemandEvent, Product, StockLevel
from production.services import demand_process_pending
from production.services.demand_processing import demand_partition_of
from production.tasks import demand_processing_kick
from tests.factories import LineFactory, LocationFactory, ProductFactory

D = Decimal


def two_products_in_two_partitions() -> tuple[Product, Product]:
    line, supermarket = LineFactory(), LocationFactory()
    first = ProductFactory(line=line, supermarket=supermarket, container_quantity=D("5"))
    second = ProductFactory(line=line, supermarket=supermarket, container_quantity=D("5"))
    while demand_partition_of(second.pk) == demand_partition_of(first.pk):
        second = ProductFactory(line=line, supermarket=supermarket, container_quantity=D("5"))
    for product in (first, second):
        loop_create(product=product, card_count=4)
    return first, second


def stored_unprocessed(product: Product, count: int, tag: str) -> None:
    """Events stored as the intake stores them, with no drain queued (yet)."""
    DemandEvent.objects.bulk_create(
        DemandEvent(
            product=product,
            quantity=D("1"),
            occurred_at=timezone.now(),
            source="test",
            external_id=f"{tag}-{n}",
        )
        for n in range(count)
    )


def on_hand(product: Product) -> Decimal:
    return StockLevel.objects.get(product=product, location=product.supermarket).on_hand


@pytest.mark.django_db(transaction=True)
def test_a_drain_of_other_products_runs_while_a_drain_holds_its_own_locks() -> None:
    busy, other = two_products_in_two_partitions()
    # Interleaved, as an ERP sends them: one unpartitioned batch would take both products.
    for n in range(5):
        stored_unprocessed(busy, 1, f"busy{n}")
        stored_unprocessed(other, 1, f"other{n}")
    holding, release = threading.Event(), threading.Event()
    held: list[int] = []

    def first_drain() -> None:
        try:
            with transaction.atomic():
                held.append(
                    demand_process_pending(limit=500, partition=demand_partition_of(busy.pk))
                )
                holding.set()  # its events, stock level and cards stay locked until commit
                release.wait(timeout=30)
        finally:
            holding.set()
            connection.close()

    thread = threading.Thread(target=first_drain)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        with transaction.atomic():
            with connection.cursor() as cursor:  # waiting on the first drain's locks fails
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            processed = demand_process_pending(limit=500, partition=demand_partition_of(other.pk))
        assert processed == 5
        assert on_hand(other) == D("15")
    finally:
        release.set()
        thread.join(timeout=30)
    assert held == [5]
    assert on_hand(busy) == D("15")
    assert not DemandEvent.objects.filter(processed_at__isnull=True).exists()


@pytest.mark.django_db
def test_the_catch_all_drain_takes_every_partition() -> None:
    first, second = two_products_in_two_partitions()
    stored_unprocessed(first, 3, "a")
    stored_unprocessed(second, 2, "b")
    assert demand_process_pending(limit=500, partition=demand_partition_of(first.pk)) == 3
    stored_unprocessed(first, 1, "c")
    assert demand_process_pending(limit=500) == 3  # the reconciler's drain: any product
    assert (on_hand(first), on_hand(second)) == (D("16"), D("18"))


@pytest.mark.django_db
def test_a_kick_queues_one_drain_per_partition_it_touches_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from production import tasks

    queued: list[int | None] = []
    monkeypatch.setattr(tasks.demand_process_task, "delay", queued.append)
    first, second = two_products_in_two_partitions()
    demand_processing_kick([first.pk, second.pk, first.pk])
    demand_processing_kick([second.pk])  # already queued: its flag is set
    assert queued == sorted([demand_partition_of(first.pk), demand_partition_of(second.pk)])
    tasks._pending_flag_clear(demand_partition_of(second.pk))  # as its drain does first
    demand_processing_kick([second.pk])
    assert queued[-1] == demand_partition_of(second.pk) and len(queued) == 3
