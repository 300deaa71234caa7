"""Cards move with If-Match (412 on a stale version); loops apply their sizing."""

from __future__ import annotations

from kanban.models import CardEvent, CardStatus, KanbanCard
from tests.api.conftest import problem_fields


def first_card(plant) -> KanbanCard:
    return plant.finished_loop.cards.order_by("number").first()


def move(client, card, to, version=None, **extra):
    headers = {"HTTP_IF_MATCH": f'"{version}"'} if version is not None else {}
    return client.post(
        f"/api/v1/cards/{card.pk}/move/", {"to": to, **extra}, format="json", **headers
    )


def test_an_operator_moves_a_card_with_its_etag(operator_api, plant):
    card = first_card(plant)
    etag = operator_api.get(f"/api/v1/cards/{card.pk}/")["ETag"]
    assert etag == f'"{card.version}"'
    response = move(operator_api, card, "empty", card.version, reason="used up")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "empty" and body["work_order"] is not None
    assert response["ETag"] == f'"{body["version"]}"'
    event = CardEvent.objects.filter(card=card).latest("id")
    assert (event.source, event.reason) == ("api", "used up")


def test_a_stale_move_gets_412_and_changes_nothing(operator_api, planner_api, plant):
    card = first_card(plant)
    old_version = card.version
    assert move(planner_api, card, "empty", old_version).status_code == 200
    response = move(operator_api, card, "in_process", old_version)
    assert response.status_code == 412
    assert response.json()["current_version"] == old_version + 1
    card.refresh_from_db()
    assert card.status == CardStatus.EMPTY


def test_a_move_outside_the_cycle_is_409_naming_the_field(operator_api, plant):
    response = move(operator_api, first_card(plant), "in_process")
    assert response.status_code == 409
    assert problem_fields(response) == {"to"}


def test_a_bad_status_is_400(operator_api, plant):
    response = move(operator_api, first_card(plant), "exploded")
    assert response.status_code == 400
    assert problem_fields(response) == {"to"}


def test_the_erp_cannot_move_cards(erp, plant):
    card = first_card(plant)
    assert move(erp, card, "empty").status_code == 403
    card.refresh_from_db()
    assert card.status == CardStatus.FULL


def test_cards_and_loops_lists(erp, plant, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        cards = erp.get("/api/v1/cards/", {"product": "C-100", "ordering": "number"})
    assert [c["number"] for c in cards.json()["results"]] == [1, 2, 3, 4]
    with django_assert_max_num_queries(8):
        loops = erp.get("/api/v1/loops/", {"line": "assembly"}).json()["results"]
    assert [(lp["product"], lp["card_count"], lp["location"]) for lp in loops] == [
        ("F-100", 3, "sm-main")
    ]


def test_apply_sizing_is_a_planners_action(planner_api, operator_api, plant):
    loop = plant.finished_loop
    loop.recommended_card_count = 5
    loop.save(update_fields=["recommended_card_count"])
    assert operator_api.post(f"/api/v1/loops/{loop.pk}/apply-sizing/").status_code == 403
    response = planner_api.post(f"/api/v1/loops/{loop.pk}/apply-sizing/")
    assert response.status_code == 200
    assert response.json()["added"] == 2
    assert response.json()["loop"]["card_count"] == 5


def test_apply_sizing_before_sizing_is_400(planner_api, plant):
    response = planner_api.post(f"/api/v1/loops/{plant.finished_loop.pk}/apply-sizing/")
    assert response.status_code == 400
    assert problem_fields(response) == {"recommended_card_count"}
