"""Loops over the API: POST opens one (opening stock full or empty), PATCH changes its
card count or container quantity, DELETE archives it."""

from __future__ import annotations

from decimal import Decimal

from kanban.models import CardEvent, CardStatus, KanbanCard, KanbanLoop, PullSignal
from kanban.services import card_move
from production.models import StockLevel, StockMove, WorkOrder, WorkOrderStatus
from production.services import demand_process_pending, demand_record
from tests.api.conftest import problem_fields
from tests.factories import LocationFactory, ProductFactory

D = Decimal


def _on_hand(product, location) -> Decimal:  # type: ignore[no-untyped-def]
    level = StockLevel.objects.filter(product=product, location=location).first()
    return level.on_hand if level else D("0")


def test_a_loop_opened_full_books_its_opening_stock(planner_api, plant):
    product = ProductFactory(sku="N-1", line=plant.assembly, supermarket=plant.supermarket)
    body = {"product": "N-1", "card_count": 3, "container_quantity": "4", "opening": "full"}
    response = planner_api.post("/api/v1/loops/", body, format="json")
    assert response.status_code == 201, response.json()
    loop = response.json()
    assert loop["product"] == "N-1" and loop["location"] == "sm-main"
    assert loop["card_count"] == 3 and loop["container_quantity"] == "4.000"
    assert _on_hand(product, plant.supermarket) == D("12")
    opening = StockMove.objects.get(product=product)
    assert opening.kind == "opening" and opening.created_by.username == "pete"
    assert set(KanbanCard.objects.filter(loop_id=loop["id"]).values_list("status", flat=True)) == {
        "full"
    }


def test_a_loop_opened_empty_books_no_stock_and_signals_every_card(planner_api, plant):
    product = ProductFactory(sku="N-2", line=plant.assembly, supermarket=plant.supermarket)
    body = {"product": "N-2", "card_count": 2, "opening": "empty"}
    response = planner_api.post("/api/v1/loops/", body, format="json")
    assert response.status_code == 201, response.json()
    assert not StockMove.objects.filter(product=product).exists(), "no stock that is not there"
    cards = KanbanCard.objects.filter(loop_id=response.json()["id"])
    assert [c.status for c in cards] == ["empty", "empty"]
    assert PullSignal.objects.filter(card__in=cards).count() == 2
    assert WorkOrder.objects.filter(product=product, origin="kanban").count() == 2


def test_loop_bad_input_names_the_field_and_changes_nothing(planner_api, plant):
    ProductFactory(sku="N-3", line=plant.assembly, supermarket=plant.supermarket)
    LocationFactory(code="sm-old", archived_at="2026-01-01T00:00:00Z")
    loops_before = KanbanLoop.objects.count()
    cases = [
        ({"product": "F-100", "card_count": 2, "opening": "full"}, 409, {"product"}),
        ({"product": "NOPE", "card_count": 2, "opening": "full"}, 400, {"product"}),
        (
            {"product": "N-3", "location": "nowhere", "card_count": 2, "opening": "full"},
            400,
            {"location"},
        ),
        (
            {"product": "N-3", "location": "sm-old", "card_count": 2, "opening": "full"},
            409,
            {"location"},
        ),
        ({"product": "N-3", "card_count": 0, "opening": "full"}, 400, {"card_count"}),
        ({"product": "N-3", "card_count": 2}, 400, {"opening"}),
        ({"product": "N-3", "card_count": 2, "opening": "half"}, 400, {"opening"}),
        (
            {"product": "N-3", "card_count": 2, "container_quantity": "-1", "opening": "full"},
            400,
            {"container_quantity"},
        ),
    ]
    for body, code, fields in cases:
        response = planner_api.post("/api/v1/loops/", body, format="json")
        assert response.status_code == code, (body, response.json())
        assert problem_fields(response) == fields, body
    assert KanbanLoop.objects.count() == loops_before
    assert not StockMove.objects.filter(product__sku="N-3").exists()


def test_a_loop_on_an_archived_product_is_refused(planner_api, plant):
    ProductFactory(sku="N-4", line=plant.assembly, supermarket=plant.supermarket)
    assert planner_api.delete("/api/v1/products/N-4/").status_code == 200
    response = planner_api.post(
        "/api/v1/loops/", {"product": "N-4", "card_count": 1, "opening": "full"}, format="json"
    )
    assert response.status_code == 409 and problem_fields(response) == {"product"}
    assert "archived" in response.json()["detail"]
    assert not KanbanLoop.objects.filter(product__sku="N-4").exists()


def test_opening_a_loop_is_idempotent_with_a_key(planner_api, plant):
    ProductFactory(sku="N-5", line=plant.assembly, supermarket=plant.supermarket)
    body = {"product": "N-5", "card_count": 2, "opening": "full"}
    first = planner_api.post("/api/v1/loops/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = planner_api.post("/api/v1/loops/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert StockMove.objects.filter(product__sku="N-5").count() == 1, "booked once"


def test_patching_the_card_count_adds_and_retires_cards(planner_api, plant):
    loop = plant.finished_loop  # 3 full cards of 5
    url = f"/api/v1/loops/{loop.pk}/"
    grown = planner_api.patch(url, {"card_count": 5}, format="json")
    assert grown.status_code == 200, grown.json()
    assert grown.json()["added"] == 2 and grown.json()["loop"]["card_count"] == 5
    new = KanbanCard.objects.filter(loop=loop, status="empty")
    assert new.count() == 2 and all(c.work_order_id for c in new), "added cards signal"
    assert _on_hand(plant.finished, plant.supermarket) == D("15"), "added cards book nothing"
    shrunk = planner_api.patch(url, {"card_count": 2}, format="json")
    assert shrunk.json()["retired"] == 3 and shrunk.json()["loop"]["card_count"] == 2
    # The two empty cards went first, then one full card with its container's stock.
    assert _on_hand(plant.finished, plant.supermarket) == D("10")
    events = CardEvent.objects.filter(card__loop=loop, to_status="retired")
    assert events.count() == 3 and {e.actor.username for e in events} == {"pete"}


def test_a_new_container_quantity_applies_from_each_cards_next_signal(planner_api, plant):
    loop = plant.finished_loop  # 3 full cards of 5: 15 on hand
    demand_record(product=plant.finished, quantity=D("5"), external_id="d1")
    demand_process_pending()
    signalled = KanbanCard.objects.get(loop=loop, status="empty")
    old_order = signalled.work_order
    assert old_order.quantity == D("5")
    response = planner_api.patch(
        f"/api/v1/loops/{loop.pk}/", {"container_quantity": "8"}, format="json"
    )
    assert response.status_code == 200 and response.json()["loop"]["container_quantity"] == "8.000"
    # The card signalled before the change is made and filled with its order's 5.
    card_move(card_id=signalled.pk, to=CardStatus.IN_PROCESS, actor_id=None)
    card = card_move(card_id=signalled.pk, to=CardStatus.FULL, actor_id=None)
    assert card.remaining_quantity == D("5")
    held = sum(c.remaining_quantity for c in KanbanCard.objects.filter(loop=loop))
    assert held == _on_hand(plant.finished, plant.supermarket) == D("15")
    # The next signal is an order of the new quantity.
    demand_record(product=plant.finished, quantity=D("5"), external_id="d2")
    demand_process_pending()
    newest = WorkOrder.objects.filter(product=plant.finished, origin="kanban").latest("id")
    assert newest.quantity == D("8") and newest.pk != old_order.pk


def test_archiving_a_loop_retires_its_cards_and_it_sends_no_signals(planner_api, plant):
    loop = plant.finished_loop
    demand_record(product=plant.finished, quantity=D("5"), external_id="d1")
    demand_process_pending()
    empty = KanbanCard.objects.get(loop=loop, status="empty")
    order = empty.work_order
    archived = planner_api.delete(f"/api/v1/loops/{loop.pk}/")
    assert archived.status_code == 200, archived.json()
    assert archived.json()["archived_at"] and archived.json()["card_count"] == 0
    order.refresh_from_db()
    assert order.status == WorkOrderStatus.CANCELLED
    assert _on_hand(plant.finished, plant.supermarket) == D("10"), "the stock stays on hand"
    signals = PullSignal.objects.count()
    demand_record(product=plant.finished, quantity=D("10"), external_id="d2")
    demand_process_pending()
    assert PullSignal.objects.count() == signals, "an archived loop sends no new signals"
    assert _on_hand(plant.finished, plant.supermarket) == D("0"), "demand still takes stock"
    for change in ({"card_count": 4}, {"container_quantity": "3"}):
        refused = planner_api.patch(f"/api/v1/loops/{loop.pk}/", change, format="json")
        assert refused.status_code == 409 and "archived" in refused.json()["detail"]
    KanbanLoop.objects.filter(pk=loop.pk).update(recommended_card_count=4)
    sizing = planner_api.post(f"/api/v1/loops/{loop.pk}/apply-sizing/")
    assert sizing.status_code == 409 and "archived" in sizing.json()["detail"]
    twice = planner_api.post(
        "/api/v1/loops/", {"product": "F-100", "card_count": 1, "opening": "full"}, format="json"
    )
    assert twice.status_code == 409 and "archived" in twice.json()["detail"]
    assert KanbanCard.objects.filter(loop=loop).exclude(status="retired").count() == 0


def test_a_loop_with_work_in_process_is_not_archived(planner_api, plant):
    loop = plant.finished_loop
    demand_record(product=plant.finished, quantity=D("5"), external_id="d1")
    demand_process_pending()
    card = KanbanCard.objects.get(loop=loop, status="empty")
    card_move(card_id=card.pk, to=CardStatus.IN_PROCESS, actor_id=None)
    response = planner_api.delete(f"/api/v1/loops/{loop.pk}/")
    assert response.status_code == 409 and f"#{card.number}" in response.json()["detail"]
    loop.refresh_from_db()
    assert loop.archived_at is None
    assert KanbanCard.objects.filter(loop=loop, status="retired").count() == 0


def test_only_planners_write_loops(erp, operator_api, nobody_api, plant):
    ProductFactory(sku="N-6", line=plant.assembly, supermarket=plant.supermarket)
    url = f"/api/v1/loops/{plant.finished_loop.pk}/"
    for client in (erp, operator_api, nobody_api):
        body = {"product": "N-6", "card_count": 1, "opening": "full"}
        assert client.post("/api/v1/loops/", body, format="json").status_code == 403
        assert client.patch(url, {"card_count": 9}, format="json").status_code == 403
        assert client.delete(url).status_code == 403
    assert operator_api.get(url).status_code == 200
    assert KanbanCard.objects.filter(loop=plant.finished_loop).count() == 3
    assert not KanbanLoop.objects.filter(product__sku="N-6").exists()
