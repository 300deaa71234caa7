"""What to do next comes first: lanes and cards ordered by urgency, quiet lanes folded,
the live feed sending the new order with the lanes, and the plant-wide waiting signals."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kanban import stream
from kanban.models import CardStatus, KanbanCard
from kanban.selectors.board import board_for_line, board_line
from kanban.services import card_move
from production.models import LineMode
from production.services import line_switch_mode

pytestmark = pytest.mark.django_db
C = CardStatus


def _empty(loop, number: int, *, minutes_ago: int) -> KanbanCard:  # type: ignore[no-untyped-def]
    card = loop.cards.get(number=number)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)
    when = timezone.now() - timedelta(minutes=minutes_ago)
    KanbanCard.objects.filter(pk=card.pk).update(status_changed_at=when)
    return card


def _lane_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'id="lane-section-(\d+)"', html)]


@pytest.fixture
def ranked(make_line):  # type: ignore[no-untyped-def]
    """Five products of three cards: quiet, warning (recent), warning (old), critical, working."""
    line, loops = make_line(code="rank", products=5, cards=3)
    _quiet, recent, old, critical, working = loops
    _empty(recent, 1, minutes_ago=10)
    _empty(old, 2, minutes_ago=60)
    _empty(critical, 1, minutes_ago=1)
    _empty(critical, 2, minutes_ago=2)
    started = _empty(working, 1, minutes_ago=90)
    card_move(card_id=started.pk, to=C.IN_PROCESS, actor_id=None)
    return line, loops


def test_lanes_with_work_come_first_most_urgent_then_longest_waiting(operator_client, ranked):  # type: ignore[no-untyped-def]
    _line, (quiet, recent, old, critical, working) = ranked
    html = operator_client.get(reverse("kanban:board", args=["rank"])).content.decode()
    # Critical first; then the warnings, the longest waiting first; work in process; quiet last.
    assert _lane_ids(html) == [
        critical.product_id,
        old.product_id,
        recent.product_id,
        working.product_id,
        quiet.product_id,
    ]
    # Only the lane with nothing to make or in process is folded, and says what it holds.
    folded = re.findall(
        r'<section class="lane[^"]*\bcollapsed\b[^"]*" id="lane-section-(\d+)"', html
    )
    assert folded == [str(quiet.product_id)]
    assert "3 full" in html and 'aria-expanded="false"' in html


def test_cards_to_make_are_listed_longest_waiting_first(operator_client, make_line):  # type: ignore[no-untyped-def]
    _line, (loop,) = make_line(code="wait", products=1, cards=4)
    newer = _empty(loop, 1, minutes_ago=5)
    older = _empty(loop, 3, minutes_ago=50)
    html = operator_client.get(reverse("kanban:board", args=["wait"])).content.decode()
    cell = html.split('data-status="empty"', 1)[1].split("</ul>", 1)[0]
    assert cell.index(f'id="card-{older.pk}"') < cell.index(f'id="card-{newer.pk}"')


def test_a_lane_that_changes_rank_travels_as_lanes_with_the_new_order(ranked):  # type: ignore[no-untyped-def]
    line, (quiet, *_rest) = ranked
    before = board_for_line(board_line(pk=line.pk))
    assert before.lane_order[-1] == quiet.product_id
    # Two of the quiet lane's three cards empty: it becomes the most urgent.
    _empty(quiet, 1, minutes_ago=120)
    _empty(quiet, 2, minutes_ago=120)
    _after, message = stream._change_message(line.pk, before, {"changed"})
    assert message is not None and message.startswith("event: lanes\n")  # no refetch for all
    change = json.loads(message.split("data: ", 1)[1])
    assert change["order"][0] == quiet.product_id
    assert [lane["id"] for lane in change["lanes"]] == [quiet.product_id]
    assert "collapsed" not in change["lanes"][0]["html"].split(">", 1)[0]


def test_the_ranked_board_reads_in_a_fixed_number_of_queries(  # type: ignore[no-untyped-def]
    operator_client, make_line, django_assert_max_num_queries
):
    _line, loops = make_line(code="rq", products=20, cards=15)  # 300 cards
    for i, loop in enumerate(loops[:10]):
        _empty(loop, 1, minutes_ago=i)
    with django_assert_max_num_queries(5):  # session, user, roles, line, cards
        response = operator_client.get(reverse("kanban:board", args=["rq"]))
    assert len(_lane_ids(response.content.decode())) == 20


# ---- the plant-wide view of waiting signals ------------------------------------------


def test_every_waiting_signal_of_the_plant_longest_waiting_first(operator_client, make_line):  # type: ignore[no-untyped-def]
    _a, (a0, a1) = make_line(code="sa", products=2, cards=3)
    _b, (b0,) = make_line(code="sb", products=1, cards=3)
    push_line, (p0,) = make_line(code="sp", products=1, cards=3)
    youngest = _empty(a0, 1, minutes_ago=3)
    oldest = _empty(b0, 2, minutes_ago=300)
    middle = _empty(a1, 1, minutes_ago=30)
    parked = _empty(p0, 1, minutes_ago=900)
    line_switch_mode(line=push_line, mode=LineMode.PUSH, reason="forecast trial", actor_id=None)

    html = operator_client.get(reverse("kanban:signals")).content.decode()
    rows = [int(pk) for pk in re.findall(r'<tr id="signal-(\d+)"', html)]
    assert rows == [oldest.pk, middle.pk, youngest.pk]  # a push line's parked card is no signal
    assert parked.pk not in rows
    assert "SB-000" in html and "5 h 0 min" in html

    narrowed = operator_client.get(reverse("kanban:signals"), {"q": "sa-001"}).content.decode()
    assert [int(pk) for pk in re.findall(r'<tr id="signal-(\d+)"', narrowed)] == [middle.pk]
    by_line = operator_client.get(reverse("kanban:signals"), {"line": "sb"}).content.decode()
    assert [int(pk) for pk in re.findall(r'<tr id="signal-(\d+)"', by_line)] == [oldest.pk]


def test_a_bad_filter_of_the_signals_is_a_400_naming_it(operator_client, make_line):  # type: ignore[no-untyped-def]
    response = operator_client.get(reverse("kanban:signals"), {"line": "no spaces allowed!"})
    assert response.status_code == 400
    assert "line:" in response.content.decode()


def test_the_signals_page_runs_a_fixed_number_of_queries_and_is_for_the_floor(  # type: ignore[no-untyped-def]
    client, operator_client, make_line, django_assert_max_num_queries
):
    from tests.factories import UserFactory

    _line, loops = make_line(code="sq", products=30, cards=10)  # 300 cards
    for i, loop in enumerate(loops):
        _empty(loop, 1, minutes_ago=i)
        _empty(loop, 2, minutes_ago=i + 40)
    with django_assert_max_num_queries(5):  # session, user, roles, signals, per line
        response = operator_client.get(reverse("kanban:signals"))
    assert response.content.decode().count('<tr id="signal-') == 60
    client.force_login(UserFactory(username="erp", roles=["integration"]))
    assert client.get(reverse("kanban:signals")).status_code == 403


def test_a_folded_lane_comes_without_its_cards_which_it_fetches_when_opened(  # type: ignore[no-untyped-def]
    operator_client, ranked, django_assert_max_num_queries
):
    _line, (quiet, recent, *_rest) = ranked
    html = operator_client.get(reverse("kanban:board", args=["rank"])).content.decode()
    quiet_cards = [card.pk for card in quiet.cards.all()]
    assert quiet_cards and not any(f'id="card-{pk}"' in html for pk in quiet_cards)
    assert f'id="card-{recent.cards.get(number=1).pk}"' in html  # a lane with work: its cards
    url = reverse("kanban:board-lane", args=["rank", quiet.product_id])
    with django_assert_max_num_queries(5):  # session, user, roles, line, cards
        lane = operator_client.get(url).content.decode()
    assert all(f'id="card-{pk}"' in lane for pk in quiet_cards)
    assert "data-deferred" not in lane
    assert (
        operator_client.get(reverse("kanban:board-lane", args=["rank", 999999])).status_code == 404
    )
