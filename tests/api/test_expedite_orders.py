"""`POST work-orders/`: a manual (expedite) order, released at once, on its line's board."""

from __future__ import annotations

from decimal import Decimal

from django.test import Client

from production.models import WorkOrder, WorkOrderEvent
from tests.api.conftest import problem_fields

URL = "/api/v1/work-orders/"
DUE = "2026-12-01T14:00:00Z"


def test_the_erp_raises_an_expedite_order_shown_on_the_board(erp, plant, operator):
    body = {"product": "F-100", "quantity": "12", "due_at": DUE, "reason": "customer rush"}
    response = erp.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["origin"] == "manual" and order["status"] == "released"
    assert order["line"] == "assembly" and order["quantity"] == "12.000"
    assert response["ETag"] == f'"{order["version"]}"'
    events = WorkOrderEvent.objects.filter(work_order_id=order["id"]).order_by("id")
    assert [e.to_status for e in events] == ["planned", "released"]
    assert {e.actor.username for e in events} == {"erp"}
    assert events.last().reason == "customer rush"
    browser = Client()
    browser.force_login(operator)
    page = browser.get("/boards/assembly/").content.decode()
    assert f'id="order-{order["id"]}"' in page
    assert "expedite" in page and "Expedite" in page


def test_expedite_orders_come_first_on_the_board(erp, plant):
    from kanban.selectors.work_orders import board_orders
    from production.services import work_order_create, work_order_release

    push = work_order_create(product=plant.finished, quantity=Decimal("3"), origin="push")
    work_order_release(work_order_id=push.pk)
    body = {"product": "F-100", "quantity": "1", "due_at": "2026-12-31T14:00:00Z"}
    manual = erp.post(URL, body, format="json").json()
    shown = board_orders(plant.assembly).orders
    assert [o.id for o in shown] == [manual["id"], push.pk]
    assert [o.expedite for o in shown] == [True, False]


def test_bad_expedite_orders_name_the_field_and_change_nothing(erp, plant):
    cases = [
        ({"product": "NOPE", "quantity": "1", "due_at": DUE}, 400, {"product"}),
        ({"product": "F-100", "quantity": "0", "due_at": DUE}, 400, {"quantity"}),
        ({"product": "F-100", "quantity": "1"}, 400, {"due_at"}),
        ({"product": "F-100", "quantity": "1", "due_at": "2026-12-01"}, 400, {"due_at"}),
    ]
    for body, code, fields in cases:
        response = erp.post(URL, body, format="json")
        assert response.status_code == code, (body, response.json())
        assert problem_fields(response) == fields
    assert not WorkOrder.objects.filter(origin="manual").exists()


def test_an_archived_product_takes_no_expedite_order(erp, planner_api, plant):
    from tests.factories import ProductFactory

    ProductFactory(sku="OLD-1", line=plant.assembly, supermarket=plant.supermarket)
    assert planner_api.delete("/api/v1/products/OLD-1/").status_code == 200
    body = {"product": "OLD-1", "quantity": "1", "due_at": DUE}
    response = erp.post(URL, body, format="json")
    assert response.status_code == 409 and problem_fields(response) == {"product"}
    assert not WorkOrder.objects.filter(origin="manual").exists()


def test_an_expedite_order_is_raised_once_per_idempotency_key(erp, plant):
    body = {"product": "F-100", "quantity": "2", "due_at": DUE}
    first = erp.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="wo-1")
    again = erp.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="wo-1")
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert WorkOrder.objects.filter(origin="manual").count() == 1


def test_operators_cannot_raise_orders(operator_api, nobody_api, plant):
    body = {"product": "F-100", "quantity": "2", "due_at": DUE}
    assert operator_api.post(URL, body, format="json").status_code == 403
    assert nobody_api.post(URL, body, format="json").status_code == 403
    assert not WorkOrder.objects.filter(origin="manual").exists()
