"""Work-order actions: ETags from versions, stale If-Match refused, kanban orders follow cards."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kanban.models import CardStatus
from kanban.services import card_move
from production.models import StockLevel, WorkOrder, WorkOrderOrigin, WorkOrderStatus
from production.services import work_order_create
from tests.api.conftest import problem_fields


@pytest.fixture
def manual_order(plant):
    return work_order_create(
        product=plant.component, quantity=Decimal("10"), origin=WorkOrderOrigin.MANUAL
    )


def url(order, verb: str = "") -> str:
    return f"/api/v1/work-orders/{order.pk}/" + (f"{verb}/" if verb else "")


def test_a_manual_order_goes_through_its_actions_with_etags(erp, plant, manual_order):
    read = erp.get(url(manual_order))
    assert read.status_code == 200
    assert read["ETag"] == '"1"'
    assert read.json()["product"] == "C-100" and read.json()["line"] == "fab"

    released = erp.post(url(manual_order, "release"), {}, format="json", HTTP_IF_MATCH='"1"')
    assert released.status_code == 200
    assert released.json()["status"] == "released" and released["ETag"] == '"2"'
    started = erp.post(url(manual_order, "start"), format="json", HTTP_IF_MATCH='W/"2"')
    assert started.json()["status"] == "in_progress"
    done = erp.post(url(manual_order, "complete"), format="json", HTTP_IF_MATCH='"3"')
    assert done.status_code == 200
    assert done.json()["status"] == "done" and done.json()["completed_at"]
    level = StockLevel.objects.get(product=plant.component)
    assert level.on_hand == Decimal("50")  # 4 cards x 10 opened, plus the order's 10


def test_a_stale_if_match_gets_412_and_changes_nothing(erp, manual_order):
    erp.post(url(manual_order, "release"), format="json")
    response = erp.post(url(manual_order, "start"), format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    assert response.json()["current_version"] == 2
    manual_order.refresh_from_db()
    assert manual_order.status == WorkOrderStatus.RELEASED


def test_a_malformed_if_match_is_400(erp, manual_order):
    response = erp.post(url(manual_order, "release"), format="json", HTTP_IF_MATCH="yesterday")
    assert response.status_code == 400
    assert "If-Match" in problem_fields(response)


def test_a_transition_out_of_order_is_409(erp, manual_order):
    response = erp.post(url(manual_order, "complete"), format="json")
    assert response.status_code == 409
    assert "status" in problem_fields(response)


def test_cancel_needs_a_reason(erp, manual_order):
    response = erp.post(url(manual_order, "cancel"), {}, format="json")
    assert response.status_code == 400
    assert problem_fields(response) == {"reason"}
    ok = erp.post(url(manual_order, "cancel"), {"reason": "customer withdrew"}, format="json")
    assert ok.json()["status"] == "cancelled"


def test_an_operator_cannot_drive_work_orders(operator_api, manual_order):
    assert operator_api.get(url(manual_order)).status_code == 200
    assert operator_api.post(url(manual_order, "release"), format="json").status_code == 403
    manual_order.refresh_from_db()
    assert manual_order.status == WorkOrderStatus.PLANNED


def test_a_kanban_order_follows_its_card(erp, plant, operator):
    card = plant.finished_loop.cards.order_by("number").first()
    card_move(card_id=card.pk, to=CardStatus.EMPTY, actor_id=operator.pk)
    card.refresh_from_db()
    order = card.work_order
    listed = erp.get("/api/v1/work-orders/", {"origin": "kanban"}).json()["results"]
    assert [(o["id"], o["card"]) for o in listed] == [(order.pk, card.pk)]
    response = erp.post(url(order, "release"), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "follows_card"
    order.refresh_from_db()
    assert order.status == WorkOrderStatus.PLANNED


def test_the_list_filters_and_caps_queries(erp, plant, django_assert_max_num_queries):
    for _ in range(15):
        work_order_create(product=plant.component, quantity=Decimal("1"))
    work_order_create(product=plant.finished, quantity=Decimal("1"))
    with django_assert_max_num_queries(8):
        response = erp.get("/api/v1/work-orders/", {"line": "fab", "status": ["planned"]})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 15
    assert (
        erp.get("/api/v1/work-orders/", {"product": "F-100"}).json()["results"][0]["quantity"]
        == "1.000"
    )
    assert erp.get("/api/v1/work-orders/", {"status": "nonsense"}).status_code == 400
    assert WorkOrder.objects.count() == 16
