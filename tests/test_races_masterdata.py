"""Master data and stock corrections raced for real on PostgreSQL (threads, as in
`test_races_shared_rules.py`): each race widens its window on purpose where the rule is
read, so that without the lock that guards it both transactions would read the same state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.conf import settings

from kanban.models import KanbanLoop
from kanban.services import loop_create
from kanban.services import loops as loop_services
from production.errors import DomainError, NotAllowed
from production.models import StockLevel
from production.services import stock_consume
from production.services import stock_corrections as corrections
from production.services.stock import ledger_sum
from production.services.stock_corrections import stock_correct
from tests.factories import ProductFactory
from tests.test_races import run_in_threads
from tests.test_races_shared_rules import PAUSE, slowed

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.USES_POSTGRES, reason="row locks need PostgreSQL"),
]
D = Decimal


def _level(plant) -> StockLevel:  # type: ignore[no-untyped-def]
    return StockLevel.objects.get(product=plant.finished, location=plant.supermarket)


def test_two_scraps_of_one_level_at_once_never_go_negative(plant, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(corrections, "ensure_stock_levels", slowed(corrections.ensure_stock_levels))

    def scrap() -> None:
        stock_correct(
            product=plant.finished,
            location=plant.supermarket,
            kind="scrap",
            quantity=D("10"),
            reason="damaged",
            actor_id=None,
        )

    errors = run_in_threads([scrap, scrap])  # 15 on hand: only one scrap of 10 fits

    assert len(errors) == 1 and isinstance(errors[0], DomainError), errors
    assert errors[0].field == "quantity"
    level = _level(plant)
    assert level.on_hand == D("5") == ledger_sum(plant.finished.pk, plant.supermarket.pk)


def test_a_count_racing_a_consumption_sets_what_was_counted(plant, monkeypatch):  # type: ignore[no-untyped-def]
    """The consumption commits first; the count, read under the level's lock, still sets
    what was counted (7), and the consumption's move is kept in the ledger."""
    from production.services import stock as stock_services

    monkeypatch.setattr(
        stock_services.LedgerBatch, "write", slowed(stock_services.LedgerBatch.write)
    )

    def consume() -> None:
        stock_consume(product=plant.finished, location=plant.supermarket, quantity=D("3"))

    def count() -> None:
        time.sleep(PAUSE / 2)  # the consumption holds the level by now
        stock_correct(
            product=plant.finished,
            location=plant.supermarket,
            kind="count",
            counted=D("7"),
            reason="cycle count",
            actor_id=None,
        )

    assert run_in_threads([consume, count]) == []

    level = _level(plant)
    assert level.on_hand == D("7"), "the count is what is there, not 15 - 8 - 3"
    assert ledger_sum(plant.finished.pk, plant.supermarket.pk) == D("7")
    moves = list(level.product.stock_moves.order_by("id").values_list("kind", "quantity"))
    assert moves[-2:] == [("consumption", D("-3")), ("adjustment", D("-5"))]


def test_two_openings_of_one_loop_at_once_open_it_once(plant, monkeypatch):  # type: ignore[no-untyped-def]
    product = ProductFactory(sku="N-9", line=plant.assembly, supermarket=plant.supermarket)
    monkeypatch.setattr(
        loop_services, "ensure_stock_levels", slowed(loop_services.ensure_stock_levels)
    )

    def open_loop() -> Callable[[], None]:
        return lambda: loop_create(product=product, card_count=2, actor_id=None)

    errors = run_in_threads([open_loop(), open_loop()])

    assert len(errors) == 1 and isinstance(errors[0], NotAllowed), errors
    assert errors[0].field == "product" and errors[0].code == "exists"
    assert KanbanLoop.objects.filter(product=product).count() == 1
    level = StockLevel.objects.get(product=product, location=plant.supermarket)
    assert level.on_hand == product.container_quantity * 2, "opening stock booked once"
