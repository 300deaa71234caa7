"""The pull engine through its services: consumption, signals, backorders, the BOM cascade."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kanban.models import CardEvent, CardStatus, KanbanCard, PullSignal
from kanban.services import card_move, loop_apply_sizing, loop_size
from production.errors import NotAllowed
from production.models import (
    DemandEvent,
    DemandStatus,
    StockLevel,
    StockMove,
    WorkOrder,
    WorkOrderOrigin,
    WorkOrderStatus,
)
from production.reconcile import reconcile
from production.services import (
    demand_process_pending,
    demand_record,
    line_switch_mode,
    stock_adjust,
)

pytestmark = pytest.mark.django_db
D = Decimal


def on_hand(product) -> Decimal:  # type: ignore[no-untyped-def]
    return StockLevel.objects.get(product=product, location=product.supermarket).on_hand


def statuses(loop) -> list[str]:  # type: ignore[no-untyped-def]
    return list(loop.cards.order_by("number").values_list("status", flat=True))


def demand(product, quantity, external_id):  # type: ignore[no-untyped-def]
    recorded = demand_record(product=product, quantity=D(quantity), external_id=external_id)
    demand_process_pending()
    recorded.event.refresh_from_db()
    return recorded.event


def test_a_new_loop_starts_full_with_its_stock_received(plant):  # type: ignore[no-untyped-def]
    assert statuses(plant.finished_loop) == ["full", "full", "full"]
    assert on_hand(plant.finished) == D("15")
    opening = StockMove.objects.get(product=plant.finished)
    assert (opening.kind, opening.quantity) == ("opening", D("15"))


def test_demand_takes_the_open_container_first_then_full_ones(plant):  # type: ignore[no-untyped-def]
    demand(plant.finished, 3, "a")
    assert statuses(plant.finished_loop) == ["in_use", "full", "full"]
    demand(plant.finished, 4, "b")
    assert statuses(plant.finished_loop) == ["empty", "in_use", "full"]
    assert plant.finished_loop.cards.get(number=2).remaining_quantity == D("3")
    assert on_hand(plant.finished) == D("8")


def test_an_emptied_container_signals_one_planned_work_order(plant):  # type: ignore[no-untyped-def]
    demand(plant.finished, 5, "a")
    card = plant.finished_loop.cards.get(number=1)
    assert card.status == CardStatus.EMPTY
    order = card.work_order
    assert (order.status, order.origin, order.quantity) == ("planned", "kanban", D("5"))
    assert order.line == plant.assembly
    assert PullSignal.objects.get(work_order=order).card == card
    trail = list(card.events.values_list("from_status", "to_status"))
    assert trail[-2:] == [("full", "in_use"), ("in_use", "empty")]


def test_demand_beyond_stock_is_backordered_never_negative(plant):  # type: ignore[no-untyped-def]
    event = demand(plant.finished, 20, "big")
    assert on_hand(plant.finished) == 0
    assert event.status == DemandStatus.BACKORDERED
    assert (event.backordered_quantity, event.open_backorder_quantity) == (D("5"), D("5"))
    assert statuses(plant.finished_loop) == ["empty"] * 3
    assert WorkOrder.objects.filter(product=plant.finished).count() == 3


def test_backorders_are_filled_oldest_first_when_stock_arrives(plant):  # type: ignore[no-untyped-def]
    demand(plant.finished, 15, "drain")
    older = demand(plant.finished, 3, "older")
    newer = demand(plant.finished, 4, "newer")
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to="in_process", actor_id=None)
    card_move(card_id=card.pk, to="full", actor_id=None)
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.status, older.open_backorder_quantity) == ("fulfilled", 0)
    assert (newer.status, newer.open_backorder_quantity) == ("backordered", D("2"))
    assert on_hand(plant.finished) == 0
    card.refresh_from_db()
    assert card.status == CardStatus.EMPTY, "the received container was used up at once"
    assert card.work_order is not None and card.work_order.status == "planned"


def test_starting_work_consumes_components_and_the_pull_runs_up_the_bom(plant):  # type: ignore[no-untyped-def]
    demand(plant.finished, 5, "a")
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to="in_process", actor_id=None)
    card.refresh_from_db()
    assert card.work_order.status == WorkOrderStatus.IN_PROGRESS
    # 5 finished x 2 components = 10: one whole component container.
    assert on_hand(plant.component) == D("30")
    assert statuses(plant.component_loop) == ["empty", "full", "full", "full"]
    component_order = plant.component_loop.cards.get(number=1).work_order
    assert component_order.line == plant.fab and component_order.origin == "kanban"


def test_finishing_work_receives_one_container(plant):  # type: ignore[no-untyped-def]
    demand(plant.finished, 5, "a")
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to="in_process", actor_id=None)
    card_move(card_id=card.pk, to="full", actor_id=None)
    card.refresh_from_db()
    assert (card.status, card.remaining_quantity, card.work_order) == ("full", D("5"), None)
    order = WorkOrder.objects.get(product=plant.finished)
    assert order.status == "done" and order.completed_at is not None
    assert on_hand(plant.finished) == D("15")
    assert PullSignal.objects.get(work_order=order).fulfilled_at is not None


def test_start_is_refused_when_components_are_short(plant):  # type: ignore[no-untyped-def]
    stock_adjust(
        product=plant.component,
        location=plant.supermarket,
        delta=D("-35"),
        reason="count",
        actor_id=None,
    )
    demand(plant.finished, 5, "a")
    card = plant.finished_loop.cards.get(number=1)
    with pytest.raises(NotAllowed, match="C-100 short by 5"):
        card_move(card_id=card.pk, to="in_process", actor_id=None)
    card.refresh_from_db()
    assert card.status == CardStatus.EMPTY and card.work_order.status == "planned"
    assert on_hand(plant.component) == D("5")


def test_a_repeated_external_id_returns_the_stored_event_and_changes_nothing(plant):  # type: ignore[no-untyped-def]
    first = demand_record(product=plant.finished, quantity=D("3"), external_id="x-1")
    again = demand_record(product=plant.finished, quantity=D("3"), external_id="x-1")
    assert first.created and not again.created
    assert again.event.pk == first.event.pk
    demand_process_pending()
    assert on_hand(plant.finished) == D("12")
    assert DemandEvent.objects.count() == 1


def test_processing_twice_does_nothing_the_second_time(plant):  # type: ignore[no-untyped-def]
    demand_record(product=plant.finished, quantity=D("7"), external_id="a")
    assert demand_process_pending() == 1
    moves = StockMove.objects.count()
    assert demand_process_pending() == 0
    assert StockMove.objects.count() == moves
    assert on_hand(plant.finished) == D("8")


def test_a_push_line_takes_demand_from_stock_but_its_cards_raise_no_signal(plant, planner):  # type: ignore[no-untyped-def]
    line_switch_mode(line=plant.assembly, mode="push", reason="trial", actor_id=planner.pk)
    demand(plant.finished, 12, "a")
    assert on_hand(plant.finished) == D("3")
    assert not WorkOrder.objects.filter(product=plant.finished).exists()
    with pytest.raises(NotAllowed, match="parked"):
        card_move(card_id=plant.finished_loop.cards.get(number=3).pk, to="in_use", actor_id=None)


def test_back_to_pull_signals_the_cards_parked_while_empty(plant, planner):  # type: ignore[no-untyped-def]
    line_switch_mode(line=plant.assembly, mode="push", reason="trial", actor_id=planner.pk)
    demand(plant.finished, 12, "a")
    line_switch_mode(line=plant.assembly, mode="pull", reason="back", actor_id=planner.pk)
    orders = WorkOrder.objects.filter(product=plant.finished, origin=WorkOrderOrigin.KANBAN)
    assert orders.count() == 2
    assert plant.assembly.mode_switches.count() == 2


def test_sizing_uses_recent_demand_and_the_configured_lead_time(plant):  # type: ignore[no-untyped-def]
    now = timezone.now()
    for day in range(28):
        DemandEvent.objects.create(
            product=plant.finished,
            quantity=D("10"),
            occurred_at=now - timedelta(days=day, hours=1),
            source="history",
            external_id=f"h{day}",
            processed_at=now,
            status="fulfilled",
        )
    loop = loop_size(loop=plant.finished_loop, now=now)
    # D = 10/day, L = 2 days, a = 0.2, C = 5 -> ceil(10 x 2 x 1.2 / 5) = ceil(4.8) = 5
    assert loop.recommended_card_count == 5
    assert loop.recommendation["daily_demand"] == "10.000"
    assert loop.recommendation["lead_time_source"] == "configured"
    result = loop_apply_sizing(loop_id=loop.pk, actor_id=None)
    assert result == {"added": 2, "retired": 0, "still_to_retire": 0}
    assert statuses(plant.finished_loop) == ["full", "full", "full", "empty", "empty"]
    assert (
        KanbanCard.objects.filter(loop=loop, status="empty", work_order__isnull=False).count() == 2
    )


def test_applying_a_smaller_sizing_retires_empty_cards_first(plant):  # type: ignore[no-untyped-def]
    demand(plant.finished, 5, "a")
    loop = plant.finished_loop
    loop.recommended_card_count = 1
    loop.save()
    result = loop_apply_sizing(loop_id=loop.pk, actor_id=None)
    assert result == {"added": 0, "retired": 2, "still_to_retire": 0}
    assert statuses(loop) == ["retired", "full", "retired"]
    assert on_hand(plant.finished) == D("5")
    assert WorkOrder.objects.get(product=plant.finished).status == "cancelled"


def test_the_reconciler_repairs_a_level_that_drifted_from_its_ledger(plant):  # type: ignore[no-untyped-def]
    StockLevel.objects.filter(product=plant.finished).update(on_hand=D("99"))
    report = reconcile()
    assert on_hand(plant.finished) == D("15")
    assert report["levels_repaired"][0]["ledger"] == "15.000"


def test_the_reconciler_drains_cards_that_hold_more_than_stock(plant):  # type: ignore[no-untyped-def]
    # Stock left without the cards knowing (as if a message was lost mid-way).
    StockMove.objects.create(
        product=plant.finished, location=plant.supermarket, kind="adjustment", quantity=D("-5")
    )
    StockLevel.objects.filter(product=plant.finished).update(on_hand=D("10"))
    report = reconcile()
    assert any("F-100" in finding for finding in report["policy_findings"])
    assert statuses(plant.finished_loop).count("empty") == 1
    assert WorkOrder.objects.filter(product=plant.finished).count() == 1


def test_every_card_change_is_an_event_with_who_and_why(plant, operator):  # type: ignore[no-untyped-def]
    demand(plant.finished, 5, "a")
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to="in_process", actor_id=operator.pk, reason="started")
    event = CardEvent.objects.filter(card=card).latest("id")
    assert (event.from_status, event.to_status, event.actor, event.source) == (
        "empty",
        "in_process",
        operator,
        "board",
    )


def test_sizing_switches_to_the_measured_lead_time_once_enough_cards_cycled(plant):  # type: ignore[no-untyped-def]
    now = timezone.now()
    for day in range(28):
        DemandEvent.objects.create(
            product=plant.finished,
            quantity=D("10"),
            occurred_at=now - timedelta(days=day, hours=1),
            source="history",
            external_id=f"h{day}",
            processed_at=now,
            status="fulfilled",
        )
    stock_adjust(
        product=plant.component,
        location=plant.supermarket,
        delta=D("100"),
        reason="delivery",
        actor_id=None,
    )
    for cycle in range(5):  # five containers made, each half a day from signal to full
        demand(plant.finished, 5, f"c{cycle}")
        card = plant.finished_loop.cards.get(status="empty")
        card_move(card_id=card.pk, to="in_process", actor_id=None)
        card_move(card_id=card.pk, to="full", actor_id=None)
    PullSignal.objects.update(created_at=now - timedelta(hours=12), fulfilled_at=now)
    loop = loop_size(loop=plant.finished_loop, now=now)
    assert loop.recommendation["lead_time_source"] == "measured"
    assert loop.recommendation["measured_cycles"] == 5
    assert D(loop.recommendation["lead_time_days"]) == D("0.5")
    # D = (280 history + 25 just now) / 28 = 10.893, L = 0.5, a = 0.2, C = 5 -> ceil(1.307) = 2
    assert loop.recommended_card_count == 2
