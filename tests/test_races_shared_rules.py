"""Rules that span rows, raced for real on PostgreSQL: two transactions on different rows
that share one rule (a line's WIP limit, a loop's card count, one receipt per order).

Each race widens its window on purpose (a pause where the rule is read), so that without
the lock that guards the rule both transactions would read the same state every time.
The guards are listed in `production.locks`: the line for its WIP limit, the loop's stock
level for its card count, the work order for its receipt.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings

from kanban.models import CardEvent, CardStatus, KanbanCard, PullSignal
from kanban.services import card_move, loop_apply_sizing, loop_create
from kanban.services import cards as card_services
from kanban.services import loops as loop_services
from production.errors import NotAllowed
from production.models import StockLevel, StockMove, WorkOrder, WorkOrderStatus
from production.services import (
    demand_process_pending,
    demand_record,
    work_order_complete,
    work_order_create,
    work_order_release,
    work_order_start,
)
from production.services import work_orders as work_order_services
from tests.factories import ProductFactory
from tests.test_races import run_in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.USES_POSTGRES, reason="row locks need PostgreSQL"),
]
D = Decimal
PAUSE = 0.4  # seconds a transaction waits where it has read the rule's state


def slowed(function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        time.sleep(PAUSE)
        return result

    return wrapper


def delayed(function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        time.sleep(PAUSE)
        return function(*args, **kwargs)

    return wrapper


def test_two_starts_of_two_products_on_one_line_keep_its_wip_limit(plant, monkeypatch):  # type: ignore[no-untyped-def]
    line = plant.assembly
    line.wip_limit = 1
    line.save(update_fields=["wip_limit"])
    other = ProductFactory(sku="F-200", line=line, supermarket=plant.supermarket)
    loop_create(product=other, card_count=1)
    # One empty card of each product (F-100's BOM needs 2 C-100 per unit: 40 on hand).
    demand_record(product=plant.finished, quantity=D("5"), external_id="f")
    demand_record(product=other, quantity=other.container_quantity, external_id="o")
    demand_process_pending()
    empties = list(KanbanCard.objects.filter(status=CardStatus.EMPTY, loop__product__line=line))
    assert len(empties) == 2
    monkeypatch.setattr(card_services, "wip_in_process", slowed(card_services.wip_in_process))

    def start(card_id: int) -> Callable[[], None]:
        return lambda: card_move(card_id=card_id, to=CardStatus.IN_PROCESS, actor_id=None)

    errors = run_in_threads([start(c.pk) for c in empties])

    in_process = KanbanCard.objects.filter(status=CardStatus.IN_PROCESS, loop__product__line=line)
    assert in_process.count() == 1, "the second start is refused, not let past the limit"
    assert len(errors) == 1 and isinstance(errors[0], NotAllowed)
    assert errors[0].code == "wip_limit" and "WIP limit 1" in str(errors[0])
    assert not CardEvent.objects.filter(wip_override=True).exists()


def test_a_start_with_an_override_reason_still_passes_the_limit(plant):  # type: ignore[no-untyped-def]
    """The lock does not change the rule: past the limit, a reason lets the start through."""
    plant.assembly.wip_limit = 1
    plant.assembly.save(update_fields=["wip_limit"])
    demand_record(product=plant.finished, quantity=D("10"), external_id="f")
    demand_process_pending()
    first, second = KanbanCard.objects.filter(loop=plant.finished_loop, status="empty")
    card_move(card_id=first.pk, to=CardStatus.IN_PROCESS, actor_id=None)
    with pytest.raises(NotAllowed):
        card_move(card_id=second.pk, to=CardStatus.IN_PROCESS, actor_id=None)
    card_move(
        card_id=second.pk, to=CardStatus.IN_PROCESS, actor_id=None, wip_override_reason="rush"
    )
    assert CardEvent.objects.get(card=second, to_status="in_process").wip_override


def test_applying_a_loops_sizing_twice_at_once_adds_the_cards_once(plant, monkeypatch):  # type: ignore[no-untyped-def]
    loop = plant.finished_loop  # 3 full cards
    loop.recommended_card_count = 5
    loop.save(update_fields=["recommended_card_count"])
    monkeypatch.setattr(loop_services, "signal_cards", slowed(loop_services.signal_cards))
    results: list[dict[str, int]] = []

    def apply() -> None:
        results.append(loop_apply_sizing(loop_id=loop.pk, actor_id=None))

    assert run_in_threads([apply, apply]) == []

    active = KanbanCard.objects.filter(loop=loop).exclude(status=CardStatus.RETIRED)
    assert active.count() == 5
    assert sorted(r["added"] for r in results) == [0, 2]
    assert PullSignal.objects.filter(card__loop=loop).count() == 2, "one signal per added card"
    assert WorkOrder.objects.filter(product=plant.finished).count() == 2


def test_applying_sizing_that_retires_cards_twice_at_once_retires_them_once(plant):  # type: ignore[no-untyped-def]
    loop = plant.component_loop  # 4 full cards of 10
    loop.recommended_card_count = 2
    loop.save(update_fields=["recommended_card_count"])
    results: list[dict[str, int]] = []

    def apply() -> None:
        results.append(loop_apply_sizing(loop_id=loop.pk, actor_id=None))

    assert run_in_threads([apply, apply]) == []

    assert KanbanCard.objects.filter(loop=loop, status=CardStatus.FULL).count() == 2
    assert sorted(r["retired"] for r in results) == [0, 2]
    level = StockLevel.objects.get(product=plant.component)
    assert level.on_hand == D("20")


def test_completing_one_work_order_twice_at_once_receives_it_once(plant, monkeypatch):  # type: ignore[no-untyped-def]
    order = work_order_create(product=plant.component, quantity=D("7"))
    work_order_release(work_order_id=order.pk)
    work_order_start(work_order_id=order.pk)
    # Both read the order as in progress before either takes a lock.
    monkeypatch.setattr(
        work_order_services, "ensure_stock_levels", delayed(work_order_services.ensure_stock_levels)
    )

    def complete() -> None:
        work_order_complete(work_order_id=order.pk)

    errors = run_in_threads([complete, complete])

    assert len(errors) == 1 and isinstance(errors[0], NotAllowed)
    order.refresh_from_db()
    assert order.status == WorkOrderStatus.DONE
    assert StockMove.objects.filter(work_order=order, kind="receipt").count() == 1
    level = StockLevel.objects.get(product=plant.component)
    assert level.on_hand == D("47")  # 4 containers of 10, and the 7 received once
