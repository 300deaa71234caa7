"""The board page, its columns fragment and card moves, as an operator sees them."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from kanban.models import CardEvent, CardStatus, KanbanCard
from kanban.services import card_move
from production.services import demand_process_pending, demand_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
C = CardStatus


def board_url(code: str) -> str:
    return reverse("kanban:board", args=[code])


def columns_url(code: str) -> str:
    return reverse("kanban:board-columns", args=[code])


def move(client, card: KanbanCard, to: str, **extra):  # type: ignore[no-untyped-def]
    data = {"to": to, "version": card.version, **extra}
    return client.post(
        reverse("kanban:card-move", args=[card.pk]), data, headers={"HX-Request": "true"}
    )


def trigger(response) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(response["HX-Trigger"])


def test_board_shows_each_card_in_its_status_column_with_what_it_needs(operator_client, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)
    response = operator_client.get(board_url("assembly"))
    assert response.status_code == 200
    html = response.content.decode()
    # One column per status, in the order work flows, and a swimlane for F-100.
    for label in ("To make (empty)", "In process", "Full", "In use"):
        assert label in html
    assert 'id="lane-' in html and "F-100" in html
    card.refresh_from_db()
    # The emptied card sits in the "empty" cell, shows its work order and loop.
    assert 'class="card status-empty' in html
    assert f"WO-{card.work_order_id}" in html
    assert "Loop @ sm-main" in html
    assert "#1" in html and "of 3" in html
    # Only allowed moves are offered: an empty card can start, nothing else.
    assert f'id="move-{card.pk}-in_process"' in html
    assert f'id="move-{card.pk}-full"' not in html
    # Cards of other lines are not on this board.
    assert "C-100" not in html


def test_urgency_turns_critical_when_most_cards_of_a_loop_are_empty(operator_client, plant):  # type: ignore[no-untyped-def]
    html = operator_client.get(board_url("assembly")).content.decode()
    assert "OK: 0 of 3 to make" in html
    for number in (1, 2):
        card = plant.finished_loop.cards.get(number=number)
        card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)
    html = operator_client.get(board_url("assembly")).content.decode()
    assert "Urgent: 2 of 3 to make" in html
    assert "card status-full urgency-critical" in html


def test_a_move_answers_the_new_columns_and_logs_who_moved(operator_client, operator, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    response = move(operator_client, card, C.EMPTY)
    assert response.status_code == 200
    assert "moved to empty" in trigger(response)["pb-moved"]["message"]
    card.refresh_from_db()
    assert card.status == C.EMPTY
    assert f'id="move-{card.pk}-in_process"' in response.content.decode()
    event = CardEvent.objects.filter(card=card).latest("id")
    assert (event.actor_id, event.source, event.to_status) == (operator.pk, "board", C.EMPTY)


def test_a_stale_version_is_refused_and_shows_the_card_where_it_now_is(operator_client, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    stale = KanbanCard.objects.get(pk=card.pk)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)  # another operator wins
    response = move(operator_client, stale, C.IN_USE)
    assert response.status_code == 412
    refusal = trigger(response)["pb-move-refused"]
    assert refusal["code"] == "version_conflict"
    assert "moved by someone else" in refusal["message"]
    card.refresh_from_db()
    assert card.status == C.EMPTY  # never a silent overwrite
    assert f'id="move-{card.pk}-in_process"' in response.content.decode()


def test_a_move_outside_the_cycle_is_refused_with_why(operator_client, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    response = move(operator_client, card, C.IN_PROCESS)
    assert response.status_code == 409
    assert "a full container has nothing to make" in trigger(response)["pb-move-refused"]["message"]


def test_wip_limit_refuses_without_a_reason_and_logs_an_override_with_one(operator_client, plant):  # type: ignore[no-untyped-def]
    # assembly has WIP limit 2: two cards in process, the third needs a reason.
    cards = list(plant.finished_loop.cards.order_by("number"))
    for card in cards:
        card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)
    for card in cards[:2]:
        card_move(card_id=card.pk, to=C.IN_PROCESS, actor_id=None)
    third = KanbanCard.objects.get(pk=cards[2].pk)
    html = operator_client.get(board_url("assembly")).content.decode()
    assert "WIP 2 / 2 · limit reached" in html
    refused = move(operator_client, third, C.IN_PROCESS)
    assert refused.status_code == 409
    assert trigger(refused)["pb-move-refused"]["code"] == "wip_limit"
    third.refresh_from_db()
    assert third.status == C.EMPTY
    allowed = move(operator_client, third, C.IN_PROCESS, wip_override_reason="rush order for Acme")
    assert allowed.status_code == 200
    event = CardEvent.objects.filter(card=third).latest("id")
    assert event.wip_override and event.reason == "rush order for Acme"
    assert "WIP 3 / 2" in allowed.content.decode()


def test_push_line_cards_are_parked_on_the_board(operator_client, plant):  # type: ignore[no-untyped-def]
    plant.assembly.mode = "push"
    plant.assembly.save()
    html = operator_client.get(board_url("assembly")).content.decode()
    assert "cards are parked" in html
    assert 'class="move ' not in html  # nothing to offer: full cards of a push line stay put
    card = plant.finished_loop.cards.get(number=1)
    response = move(operator_client, card, C.EMPTY)
    assert response.status_code == 409
    assert trigger(response)["pb-move-refused"]["code"] == "parked"


def test_columns_fragment_answers_304_until_something_changes(operator_client, plant):  # type: ignore[no-untyped-def]
    first = operator_client.get(columns_url("assembly"))
    assert first.status_code == 200
    etag = first["ETag"]
    assert f'data-etag="{etag.strip(chr(34))}"' in first.content.decode()
    same = operator_client.get(columns_url("assembly"), headers={"If-None-Match": etag})
    assert same.status_code == 304
    # A change through the API/services (here: demand emptying a container) shows up.
    demand_record(product=plant.finished, quantity=5, external_id="d1")
    demand_process_pending()
    changed = operator_client.get(columns_url("assembly"), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert "card status-empty" in changed.content.decode()


def test_an_empty_line_has_a_designed_empty_state(operator_client, make_line):  # type: ignore[no-untyped-def]
    make_line(code="bare", products=0)
    html = operator_client.get(board_url("bare")).content.decode()
    assert "No cards on this board yet" in html


def test_unknown_line_is_404(operator_client, plant):  # type: ignore[no-untyped-def]
    assert operator_client.get(board_url("nope")).status_code == 404


def test_board_index_lists_lines_with_cards_to_make(operator_client, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)
    html = operator_client.get(reverse("kanban:boards")).content.decode()
    assert reverse("kanban:board", args=["assembly"]) in html
    assert "3 cards · 1 to make" in html
    assert "4 cards · 0 to make" in html


@pytest.mark.parametrize("cards", [2, 40])
def test_board_pages_run_a_fixed_number_of_queries(  # type: ignore[no-untyped-def]
    operator_client, make_line, django_assert_max_num_queries, cards
):
    _line, loops = make_line(code="q", products=5, cards=cards)
    for loop in loops:
        card = loop.cards.get(number=1)
        card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)
    # page: session, user, roles, line, cards; the poll adds its one aggregate (ETag)
    with django_assert_max_num_queries(5):
        assert operator_client.get(board_url("q")).status_code == 200
    with django_assert_max_num_queries(6):
        assert operator_client.get(columns_url("q")).status_code == 200
    with django_assert_max_num_queries(5):
        assert operator_client.get(reverse("kanban:boards")).status_code == 200


@pytest.mark.parametrize(
    ("roles", "expected"),
    [([], 403), (["integration"], 403), (["operator"], 200), (["planner"], 200)],
)
def test_only_operators_planners_and_admins_see_boards(client, plant, roles, expected):  # type: ignore[no-untyped-def]
    user = UserFactory(username=f"u-{'-'.join(roles) or 'none'}", roles=roles)
    client.force_login(user)
    assert client.get(board_url("assembly")).status_code == expected
    assert client.get(columns_url("assembly")).status_code == expected


def test_admin_sees_boards_and_anonymous_is_sent_to_login(client, admin_user, plant):  # type: ignore[no-untyped-def]
    response = client.get(board_url("assembly"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(admin_user)
    assert client.get(board_url("assembly")).status_code == 200


def test_only_board_roles_move_cards(client, plant):  # type: ignore[no-untyped-def]
    erp = UserFactory(username="erp-bot", roles=["integration"])
    client.force_login(erp)
    card = plant.finished_loop.cards.get(number=1)
    assert move(client, card, C.EMPTY).status_code == 403
    card.refresh_from_db()
    assert card.status == C.FULL


def test_nav_links_follow_the_role(client, operator, planner):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    html = client.get(reverse("kanban:boards")).content.decode()
    assert 'href="/boards/"' in html and 'href="/scan/"' in html
    assert reverse("kanban:lost-cards") not in html
    client.force_login(planner)
    html = client.get(reverse("kanban:boards")).content.decode()
    assert reverse("kanban:lost-cards") in html


def test_columns_come_gzipped_and_still_answer_304(operator_client, plant):  # type: ignore[no-untyped-def]
    first = operator_client.get(columns_url("assembly"), headers={"Accept-Encoding": "gzip"})
    assert first["Content-Encoding"] == "gzip"
    etag = first["ETag"]
    assert etag.startswith('W/"')  # compressed: a weak validator
    again = operator_client.get(
        columns_url("assembly"), headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
    )
    assert again.status_code == 304


def test_the_page_and_the_poll_agree_on_the_board_fingerprint(operator_client, plant):  # type: ignore[no-untyped-def]
    # Mixed statuses, with work orders: the page computes its ETag from its rows, the
    # poll from one aggregate query; they must agree or every poll re-downloads.
    cards = list(plant.finished_loop.cards.order_by("number"))
    card_move(card_id=cards[0].pk, to=C.EMPTY, actor_id=None)
    card_move(card_id=cards[1].pk, to=C.EMPTY, actor_id=None)
    card_move(card_id=cards[1].pk, to=C.IN_PROCESS, actor_id=None)
    html = operator_client.get(board_url("assembly")).content.decode()
    etag = html.split('data-etag="', 1)[1].split('"', 1)[0]
    polled = operator_client.get(columns_url("assembly"), headers={"If-None-Match": f'"{etag}"'})
    assert polled.status_code == 304


def test_a_product_renamed_with_no_card_moving_shows_its_new_name_at_once(operator_client, plant):  # type: ignore[no-untyped-def]
    # The columns fragment is cached per board fingerprint: what the fragment shows of a
    # loop (its product's SKU and name, its location) must be part of the fingerprint, or
    # every board keeps the old name until some card moves.
    first = operator_client.get(columns_url("assembly"))
    assert "Renamed finished good" not in first.content.decode()
    type(plant.finished).objects.filter(pk=plant.finished.pk).update(name="Renamed finished good")
    again = operator_client.get(columns_url("assembly"), headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert "Renamed finished good" in again.content.decode()


def test_a_loop_moved_to_another_location_shows_it_at_once(operator_client, plant):  # type: ignore[no-untyped-def]
    from kanban.models import CardStatus
    from kanban.services import card_move
    from tests.factories import LocationFactory

    # A lane with work to make shows its cards (a quiet lane is folded, its cards fetched
    # when it is opened).
    card = plant.finished_loop.cards.order_by("number").first()
    card_move(card_id=card.pk, to=CardStatus.EMPTY, actor_id=None)
    first = operator_client.get(columns_url("assembly"))
    assert "Loop @ sm-main" in first.content.decode()
    store = LocationFactory(code="sm-east")
    type(plant.finished_loop).objects.filter(pk=plant.finished_loop.pk).update(location=store)
    again = operator_client.get(columns_url("assembly"), headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 200
    assert "Loop @ sm-east" in again.content.decode()
