"""`POST stock/adjustments/`: a physical count sets on hand, scrap takes out, a receipt
without an order puts in; each one ledger move with who and why."""

from __future__ import annotations

from decimal import Decimal

from kanban.models import KanbanCard
from production.models import StockLevel, StockMove
from tests.api.conftest import problem_fields

D = Decimal
URL = "/api/v1/stock/adjustments/"


def _level(plant, product=None) -> StockLevel:  # type: ignore[no-untyped-def]
    return StockLevel.objects.get(product=product or plant.finished, location=plant.supermarket)


def _held(loop) -> Decimal:  # type: ignore[no-untyped-def]
    cards = KanbanCard.objects.filter(loop=loop, status__in=["full", "in_use"])
    return sum((c.remaining_quantity for c in cards), D("0"))


def test_a_count_below_the_level_sets_it_and_drains_the_cards(erp, plant):
    body = {"product": "F-100", "kind": "count", "counted": "7", "reason": "cycle count"}
    response = erp.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["before"] == "15.000" and data["delta"] == "-8.000" and data["on_hand"] == "7.000"
    move = StockMove.objects.get(pk=data["move"])
    assert move.kind == "adjustment" and move.quantity == D("-8")
    assert move.note == "count: cycle count" and move.created_by.username == "erp"
    assert _level(plant).on_hand == D("7")
    assert _held(plant.finished_loop) == D("7"), "cards hold what is on hand"
    assert KanbanCard.objects.filter(loop=plant.finished_loop, status="empty").count() == 1


def test_a_count_equal_to_the_level_books_nothing(planner_api, plant):
    body = {"product": "F-100", "kind": "count", "counted": "15", "reason": "checked"}
    response = planner_api.post(URL, body, format="json")
    assert response.status_code == 200 and response.json()["move"] is None
    assert not StockMove.objects.filter(kind="adjustment").exists()


def test_a_count_above_the_level_is_loose_stock_beyond_the_cards(erp, plant):
    body = {"product": "F-100", "kind": "count", "counted": "18", "reason": "found a box"}
    assert erp.post(URL, body, format="json").status_code == 201
    assert _level(plant).on_hand == D("18") and _held(plant.finished_loop) == D("15")


def test_scrap_takes_out_and_never_below_zero(erp, plant):
    scrap = {"product": "C-100", "kind": "scrap", "quantity": "4", "reason": "damaged"}
    response = erp.post(URL, scrap, format="json")
    assert response.status_code == 201 and response.json()["on_hand"] == "36.000"
    assert StockMove.objects.get(pk=response.json()["move"]).note == "scrap: damaged"
    too_much = erp.post(URL, {**scrap, "quantity": "37"}, format="json")
    assert too_much.status_code == 400 and problem_fields(too_much) == {"quantity"}
    assert _level(plant, plant.component).on_hand == D("36")


def test_a_receipt_without_an_order_puts_stock_in_and_serves_backorders(erp, plant):
    from production.services import demand_process_pending, demand_record

    demand_record(product=plant.finished, quantity=D("17"), external_id="big")
    demand_process_pending()
    assert _level(plant).on_hand == 0
    body = {"product": "F-100", "kind": "receipt", "quantity": "5", "reason": "returned"}
    response = erp.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    move = StockMove.objects.get(pk=response.json()["move"])
    assert move.kind == "receipt" and move.note == "receipt: returned"
    assert _level(plant).on_hand == D("3"), "the 2 backordered were served first"


def test_bad_corrections_name_the_field_and_change_nothing(erp, plant):
    cases = [
        ({"product": "F-100", "kind": "count", "counted": "-1", "reason": "x"}, {"counted"}),
        ({"product": "F-100", "kind": "count", "reason": "x"}, {"counted"}),
        (
            {"product": "F-100", "kind": "count", "quantity": "2", "counted": "1", "reason": "x"},
            {"quantity"},
        ),
        ({"product": "F-100", "kind": "scrap", "reason": "x"}, {"quantity"}),
        ({"product": "F-100", "kind": "scrap", "quantity": "0", "reason": "x"}, {"quantity"}),
        ({"product": "F-100", "kind": "theft", "quantity": "1", "reason": "x"}, {"kind"}),
        ({"product": "NOPE", "kind": "scrap", "quantity": "1", "reason": "x"}, {"product"}),
        (
            {
                "product": "F-100",
                "location": "nowhere",
                "kind": "scrap",
                "quantity": "1",
                "reason": "x",
            },
            {"location"},
        ),
        ({"product": "F-100", "kind": "scrap", "quantity": "1"}, {"reason"}),
        ({"product": "F-100", "kind": "scrap", "quantity": "1", "reason": "   "}, {"reason"}),
    ]
    for body, fields in cases:
        response = erp.post(URL, body, format="json")
        assert response.status_code == 400, (body, response.json())
        assert problem_fields(response) == fields, body
    assert not StockMove.objects.filter(kind="adjustment").exists()
    assert _level(plant).on_hand == D("15")


def test_a_correction_is_applied_once_per_idempotency_key(erp, plant):
    body = {"product": "F-100", "kind": "scrap", "quantity": "2", "reason": "dropped"}
    first = erp.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    again = erp.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert _level(plant).on_hand == D("13")
    other = erp.post(URL, {**body, "quantity": "3"}, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    assert other.status_code == 422 and _level(plant).on_hand == D("13")


def test_operators_cannot_correct_stock(operator_api, nobody_api, plant):
    body = {"product": "F-100", "kind": "scrap", "quantity": "1", "reason": "x"}
    assert operator_api.post(URL, body, format="json").status_code == 403
    assert nobody_api.post(URL, body, format="json").status_code == 403
    assert _level(plant).on_hand == D("15")
