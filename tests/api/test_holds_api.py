"""Holds and one-time cards over the API: the card page's services, with roles,
problem details and Idempotency-Key."""

from __future__ import annotations

from decimal import Decimal

from kanban.models import CardStatus, HoldEvent, KanbanCard, PullSignal
from production.services import demand_process_pending, demand_record
from tests.api.conftest import problem_fields

C = CardStatus


def _oldest_card(plant) -> KanbanCard:  # type: ignore[no-untyped-def]
    return plant.finished_loop.cards.order_by("status_changed_at", "number").first()


def _consume(product, quantity: str, tag: str) -> None:  # type: ignore[no-untyped-def]
    demand_record(product=product, quantity=Decimal(quantity), external_id=f"api-hold-{tag}")
    demand_process_pending()


def test_an_operator_holds_a_card_that_then_signals_only_when_released(operator_api, plant):  # type: ignore[no-untyped-def]
    card = _oldest_card(plant)
    held = operator_api.post(
        f"/api/v1/cards/{card.pk}/hold/",
        {"reason": "quality_hold", "note": "burr on the flange"},
        format="json",
    )
    assert held.status_code == 200, held.content
    body = held.json()
    assert (body["on_hold"], body["hold_reason"], body["hold_note"]) == (
        True,
        "quality_hold",
        "burr on the flange",
    )
    assert held["ETag"] == f'"{body["version"]}"'
    _consume(plant.finished, "5", "1")  # its container is used up: no signal while held
    card.refresh_from_db()
    assert card.status == C.EMPTY and card.work_order_id is None
    assert not PullSignal.objects.filter(card=card).exists()

    released = operator_api.post(f"/api/v1/cards/{card.pk}/release/", {}, format="json")
    assert released.status_code == 200, released.content
    assert released.json()["on_hold"] is False
    assert released.json()["work_order"] is not None
    assert PullSignal.objects.filter(card=card).count() == 1
    assert list(HoldEvent.objects.filter(card=card).values_list("action", flat=True)) == [
        "hold",
        "release",
    ]


def test_a_loop_on_hold_over_the_api_lets_no_signal_through(planner_api, plant):  # type: ignore[no-untyped-def]
    loop = plant.finished_loop
    response = planner_api.post(
        f"/api/v1/loops/{loop.pk}/hold/", {"reason": "machine_down"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["on_hold"] is True and response.json()["hold_reason"] == "machine_down"
    _consume(plant.finished, "10", "2")
    assert not PullSignal.objects.filter(card__loop=loop).exists()
    again = planner_api.post(
        f"/api/v1/loops/{loop.pk}/hold/", {"reason": "machine_down"}, format="json"
    )
    assert again.status_code == 409 and problem_fields(again) == {"reason"}
    assert planner_api.post(f"/api/v1/loops/{loop.pk}/release/").status_code == 200
    assert PullSignal.objects.filter(card__loop=loop).count() == 2


def test_a_hold_needs_a_known_reason_and_a_note_for_other(operator_api, plant):  # type: ignore[no-untyped-def]
    card = _oldest_card(plant)
    version = card.version
    unknown = operator_api.post(
        f"/api/v1/cards/{card.pk}/hold/", {"reason": "tired"}, format="json"
    )
    assert unknown.status_code == 400 and problem_fields(unknown) == {"reason"}
    other = operator_api.post(f"/api/v1/cards/{card.pk}/hold/", {"reason": "other"}, format="json")
    assert other.status_code == 400 and problem_fields(other) == {"note"}
    not_held = operator_api.post(f"/api/v1/cards/{card.pk}/release/", {}, format="json")
    assert not_held.status_code == 409
    card.refresh_from_db()
    assert (card.on_hold, card.version) == (False, version)
    assert not HoldEvent.objects.exists()


def test_a_repeated_hold_with_one_idempotency_key_holds_once(operator_api, plant):  # type: ignore[no-untyped-def]
    card = _oldest_card(plant)
    url, body = f"/api/v1/cards/{card.pk}/hold/", {"reason": "missing_part"}
    first = operator_api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="hold-1")
    second = operator_api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="hold-1")
    assert first.status_code == second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert HoldEvent.objects.filter(card=card).count() == 1


def test_the_erp_cannot_hold_and_only_planners_issue_one_time_cards(  # type: ignore[no-untyped-def]
    erp, operator_api, planner_api, plant
):
    loop, card = plant.finished_loop, _oldest_card(plant)
    hold = {"reason": "machine_down"}
    assert erp.post(f"/api/v1/cards/{card.pk}/hold/", hold, format="json").status_code == 403
    assert erp.post(f"/api/v1/loops/{loop.pk}/hold/", hold, format="json").status_code == 403
    spike = {"reason": "a customer's rush order"}
    url = f"/api/v1/loops/{loop.pk}/one-time-card/"
    assert operator_api.post(url, spike, format="json").status_code == 403
    assert not HoldEvent.objects.exists()
    assert not loop.cards.filter(one_time=True).exists()

    made = planner_api.post(url, spike, format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["one_time"], body["status"], body["loop"]) == (True, "empty", loop.pk)
    assert body["work_order"] is not None  # it signals at once: one container to make
    blank = planner_api.post(url, {"reason": "  "}, format="json")
    assert blank.status_code == 400 and problem_fields(blank) == {"reason"}
    assert loop.cards.filter(one_time=True).count() == 1
