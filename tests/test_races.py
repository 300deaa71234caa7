"""Races for real on PostgreSQL: parallel transactions on the same stock and cards.

Each thread has its own database connection; locks are taken in the house order
(stock levels, then cards, then work orders), so nothing deadlocks, nothing oversells,
no card is signalled twice, and of two people moving one card, one wins.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from kanban.models import CardStatus, KanbanCard, PullSignal
from kanban.services import card_move
from production.errors import DomainError, VersionConflict
from production.models import DemandEvent, StockLevel, StockMove, WorkOrder
from production.services import demand_process_pending, demand_record

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.USES_POSTGRES, reason="row locks need PostgreSQL"),
]
D = Decimal


def run_in_threads(jobs: list[Callable[[], None]]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs))

    def wrap(job: Callable[[], None]) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # collected and asserted on by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def test_parallel_demand_on_one_product_gives_exact_totals(plant):  # type: ignore[no-untyped-def]
    product = plant.finished  # 3 containers of 5: 15 on hand

    def customer(n: int) -> Callable[[], None]:
        def job() -> None:
            for i in range(10):
                demand_record(product=product, quantity=D("1"), external_id=f"t{n}-{i}")
                demand_process_pending(limit=3)

        return job

    errors = run_in_threads([customer(n) for n in range(6)])
    assert errors == []
    while demand_process_pending():
        pass
    level = StockLevel.objects.get(product=product)
    assert level.on_hand == 0
    assert DemandEvent.objects.aggregate(t=Sum("open_backorder_quantity"))["t"] == D("45")
    assert PullSignal.objects.filter(card__loop__product=product).count() == 3
    assert WorkOrder.objects.filter(product=product).count() == 3
    ledger = StockMove.objects.filter(product=product).aggregate(t=Sum("quantity"))["t"]
    assert ledger == level.on_hand


def test_card_moves_and_demand_in_parallel_never_deadlock_or_oversell(plant):  # type: ignore[no-untyped-def]
    # Empty two finished containers so there is work to start and finish.
    demand_record(product=plant.finished, quantity=D("10"), external_id="seed")
    demand_process_pending()
    cards = list(KanbanCard.objects.filter(loop=plant.finished_loop, status="empty"))

    def operator(card_id: int) -> Callable[[], None]:
        def job() -> None:
            card_move(card_id=card_id, to="in_process", actor_id=None)
            card_move(card_id=card_id, to="full", actor_id=None)

        return job

    def component_demand() -> None:
        for i in range(8):
            demand_record(product=plant.component, quantity=D("2"), external_id=f"c{i}")
            demand_process_pending()

    def finished_demand() -> None:
        for i in range(8):
            demand_record(product=plant.finished, quantity=D("1"), external_id=f"f{i}")
            demand_process_pending()

    errors = run_in_threads([operator(c.pk) for c in cards] + [component_demand, finished_demand])
    # A start may be refused for want of components; nothing else may fail.
    assert [e for e in errors if not isinstance(e, DomainError)] == []
    while demand_process_pending():
        pass
    for level in StockLevel.objects.all():
        ledger = StockMove.objects.filter(
            product_id=level.product_id, location_id=level.location_id
        ).aggregate(t=Sum("quantity"))["t"]
        assert ledger == level.on_hand >= 0
        held = (
            KanbanCard.objects.filter(
                loop__product_id=level.product_id, status__in=["full", "in_use"]
            ).aggregate(t=Sum("remaining_quantity"))["t"]
            or 0
        )
        assert held == level.on_hand, "the containers hold exactly what is on hand"
    open_signals = PullSignal.objects.filter(fulfilled_at__isnull=True)
    assert (
        open_signals.count()
        == KanbanCard.objects.filter(status__in=[CardStatus.EMPTY, CardStatus.IN_PROCESS]).count()
    ), "one signal per empty card"


def test_two_people_moving_one_card_at_once_one_wins_the_other_is_told(plant):  # type: ignore[no-untyped-def]
    demand_record(product=plant.finished, quantity=D("5"), external_id="a")
    demand_process_pending()
    card = KanbanCard.objects.get(loop=plant.finished_loop, status="empty")
    seen_version = card.version
    results: list[str] = []

    def mover() -> None:
        moved = card_move(
            card_id=card.pk, to="in_process", actor_id=None, expected_version=seen_version
        )
        results.append(moved.status)

    errors = run_in_threads([mover, mover])
    assert results == ["in_process"]
    assert len(errors) == 1 and isinstance(errors[0], VersionConflict)
    assert "moved by someone else" in str(errors[0])
    card.refresh_from_db()
    assert card.status == "in_process" and card.version == seen_version + 1
    assert card.events.filter(to_status="in_process").count() == 1


def test_demand_processed_while_its_line_switches_back_to_pull_raises_signals(plant):  # type: ignore[no-untyped-def]
    """The switch holds the line and its stock levels; processing waits for them and then
    acts on the mode the switch committed (pull: containers drain, cards signal)."""
    import time

    from django.db import transaction

    from production.services.lines import line_switch_mode
    from production.tasks import _pending_flag_set

    line_switch_mode(line=plant.fab, mode="push", reason="trial", actor_id=None)
    assert _pending_flag_set()  # a drain is queued already: the event waits for `process`
    demand_record(product=plant.component, quantity=D("25"), external_id="sw-1")
    switched = threading.Event()

    def switch_back() -> None:
        with transaction.atomic():
            line_switch_mode(line=plant.fab, mode="pull", reason="trial over", actor_id=None)
            switched.set()
            time.sleep(1)  # still holding the line and its levels

    def process() -> None:
        assert switched.wait(10)
        assert demand_process_pending() == 1

    assert run_in_threads([switch_back, process]) == []
    cards = KanbanCard.objects.filter(loop=plant.component_loop)
    # 4 containers of 10 held 40; 25 taken: two empty and signalled, one open with 5 left.
    assert cards.filter(status=CardStatus.EMPTY).count() == 2
    assert cards.filter(status=CardStatus.IN_USE).get().remaining_quantity == D("5")
    assert PullSignal.objects.filter(card__loop=plant.component_loop).count() == 2
