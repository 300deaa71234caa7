"""Card counts over the API v1: start, add a scan, close, the result; roles, bad input
(problem details naming the field), Idempotency-Key and If-Match like the rest of v1."""

from __future__ import annotations

import pytest

from kanban.codes import card_code
from kanban.inventory.models import CardCount, CountedCard
from tests.api.conftest import problem_fields

pytestmark = pytest.mark.django_db
BASE = "/api/v1/card-counts/"


def _wrong(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def test_a_count_over_the_api_with_one_missing_and_one_unexpected_card(
    planner_api, operator_api, plant
):  # type: ignore[no-untyped-def]
    started = planner_api.post(BASE, {"line": "assembly"}, format="json")
    assert started.status_code == 201, started.content
    count = started.json()
    assert (count["line"], count["location"], count["status"]) == ("assembly", None, "open")
    first, second, third = plant.finished_loop.cards.order_by("number")
    elsewhere = plant.component_loop.cards.get(number=1)
    scans = f"{BASE}{count['id']}/scans/"
    for card in (first, second, elsewhere):
        response = operator_api.post(scans, {"code": card_code(card.pk)}, format="json")
        assert response.status_code == 201, response.content
    assert response.json()["in_scope"] is False
    again = operator_api.post(scans, {"code": card_code(first.pk)}, format="json")
    assert again.status_code == 200 and again.json()["new"] is False

    etag = planner_api.get(f"{BASE}{count['id']}/")["ETag"]
    closed = planner_api.post(f"{BASE}{count['id']}/close/", HTTP_IF_MATCH=etag)
    assert closed.status_code == 200, closed.content
    body = closed.json()
    assert (body["found_count"], body["missing_count"], body["unexpected_count"]) == (2, 1, 1)
    result = operator_api.get(f"{BASE}{count['id']}/result/").json()
    assert [(row["card"], row["code"]) for row in result["missing"]] == [
        (third.pk, card_code(third.pk))
    ]
    assert [(row["card"], row["unexpected"], row["line"]) for row in result["unexpected"]] == [
        (elsewhere.pk, "elsewhere", "fab")
    ]


def test_each_action_checks_the_role(planner_api, operator_api, erp, nobody_api, plant):  # type: ignore[no-untyped-def]
    assert operator_api.post(BASE, {"line": "assembly"}, format="json").status_code == 403
    assert erp.post(BASE, {"line": "assembly"}, format="json").status_code == 403
    count = planner_api.post(BASE, {"line": "assembly"}, format="json").json()
    code = card_code(plant.finished_loop.cards.get(number=1).pk)
    assert erp.post(f"{BASE}{count['id']}/scans/", {"code": code}, format="json").status_code == 403
    assert operator_api.post(f"{BASE}{count['id']}/close/").status_code == 403
    assert nobody_api.get(BASE).status_code == 403
    assert erp.get(f"{BASE}{count['id']}/result/").status_code == 200  # reads: every role
    assert CardCount.objects.get().is_open and not CountedCard.objects.exists()


def test_bad_input_is_a_problem_naming_the_field_and_changes_nothing(planner_api, plant):  # type: ignore[no-untyped-def]
    neither = planner_api.post(BASE, {}, format="json")
    assert neither.status_code == 400 and problem_fields(neither) == {"line"}
    unknown = planner_api.post(BASE, {"location": "nowhere"}, format="json")
    assert unknown.status_code == 400 and problem_fields(unknown) == {"location"}
    count = planner_api.post(BASE, {"line": "assembly"}, format="json").json()
    second = planner_api.post(BASE, {"line": "assembly"}, format="json")
    assert second.status_code == 409 and second.json()["code"] == "count_in_progress"
    scans = f"{BASE}{count['id']}/scans/"
    card = plant.finished_loop.cards.get(number=1)
    wrong = planner_api.post(scans, {"code": _wrong(card_code(card.pk))}, format="json")
    assert wrong.status_code == 400 and problem_fields(wrong) == {"code"}
    assert wrong.json()["code"] == "bad_check_digit"
    assert "wrong check digit" in wrong.json()["detail"]
    garbled = planner_api.post(scans, {"code": "hello"}, format="json")
    assert garbled.status_code == 400 and problem_fields(garbled) == {"code"}
    missing = planner_api.post(scans, {}, format="json")
    assert missing.status_code == 400 and problem_fields(missing) == {"code"}
    stale = planner_api.post(f"{BASE}{count['id']}/close/", HTTP_IF_MATCH='"99"')
    assert stale.status_code == 412
    assert CardCount.objects.count() == 1 and CardCount.objects.get().is_open
    assert not CountedCard.objects.exists()
    assert planner_api.get(f"{BASE}999999/result/").status_code == 404


def test_a_repeated_idempotency_key_applies_once(planner_api, plant):  # type: ignore[no-untyped-def]
    first = planner_api.post(BASE, {"line": "assembly"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    replay = planner_api.post(BASE, {"line": "assembly"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true" and replay.json()["id"] == first.json()["id"]
    count_id = first.json()["id"]
    close = f"{BASE}{count_id}/close/"
    assert planner_api.post(close, HTTP_IDEMPOTENCY_KEY="k2").status_code == 200
    replayed = planner_api.post(close, HTTP_IDEMPOTENCY_KEY="k2")
    assert replayed.status_code == 200 and replayed["Idempotent-Replayed"] == "true"
    assert CardCount.objects.count() == 1


def test_cards_show_their_printed_code(erp, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    assert erp.get(f"/api/v1/cards/{card.pk}/").json()["code"] == card_code(card.pk)


def test_the_count_list_is_a_constant_number_of_queries(
    planner_api, plant, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    from kanban.inventory.services import card_count_close, card_count_start
    from tests.factories import LocationFactory

    for _ in range(30):
        count = card_count_start(location=LocationFactory(), actor_id=None)
        card_count_close(count_id=count.pk, actor_id=None)
    with django_assert_max_num_queries(8):
        response = planner_api.get(BASE)
    assert response.status_code == 200 and len(response.json()["results"]) == 30
