"""Holds and one-time cards: a held card or loop raises no signal (and shows why), its
release signals what emptied meanwhile, a one-time card is made once and retires."""

from __future__ import annotations

import re
import threading
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse

from kanban.models import CardStatus, HoldEvent, KanbanCard, PullSignal
from kanban.services import (
    card_hold,
    card_move,
    card_release,
    loop_hold,
    loop_issue_one_time_card,
    loop_release,
)
from production.errors import DomainError, NotAllowed
from production.services import demand_process_pending, demand_record

C = CardStatus
D = Decimal


def _consume(product, quantity: str, tag: str) -> None:  # type: ignore[no-untyped-def]
    demand_record(product=product, quantity=D(quantity), external_id=f"hold-{tag}")
    demand_process_pending()


@pytest.mark.django_db
def test_a_held_card_emptied_by_demand_raises_no_signal_until_released(plant, operator):  # type: ignore[no-untyped-def]
    loop = plant.finished_loop  # 3 containers of 5
    first = loop.cards.order_by("status_changed_at", "number").first()
    card_hold(
        card_id=first.pk, reason="quality_hold", note="burr on the flange", actor_id=operator.pk
    )
    _consume(plant.finished, "5", "1")  # the first container is used up
    first.refresh_from_db()
    assert first.status == C.EMPTY and first.work_order_id is None
    assert not PullSignal.objects.filter(card=first).exists()
    with pytest.raises(NotAllowed) as refused:  # a held card cannot be started
        card_move(card_id=first.pk, to=C.IN_PROCESS, actor_id=operator.pk)
    assert refused.value.code == "on_hold" and "Quality hold" in refused.value.message

    card_release(card_id=first.pk, actor_id=operator.pk)
    first.refresh_from_db()
    assert first.work_order_id is not None  # released: its empty container signals
    assert PullSignal.objects.filter(card=first).count() == 1
    events = list(HoldEvent.objects.filter(card=first).values_list("action", "reason", "actor"))
    assert events == [("hold", "quality_hold", operator.pk), ("release", "", operator.pk)]


@pytest.mark.django_db
def test_a_held_loop_signals_nothing_and_its_emptied_containers_signal_on_release(plant, planner):  # type: ignore[no-untyped-def]
    loop = plant.finished_loop
    loop_hold(loop_id=loop.pk, reason="machine_down", note="press 4", actor_id=planner.pk)
    _consume(plant.finished, "10", "2")  # two containers used up
    emptied = list(loop.cards.filter(status=C.EMPTY))
    assert len(emptied) == 2 and all(card.work_order_id is None for card in emptied)
    assert not PullSignal.objects.filter(card__loop=loop).exists()
    loop_release(loop_id=loop.pk, actor_id=planner.pk)
    assert PullSignal.objects.filter(card__loop=loop).count() == 2
    assert not loop.cards.filter(loop_held=True).exists()


@pytest.mark.django_db
def test_a_hold_needs_a_known_reason_and_changes_nothing_otherwise(plant, operator):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    with pytest.raises(DomainError) as bad:
        card_hold(card_id=card.pk, reason="bored", actor_id=operator.pk)
    assert bad.value.field == "reason"
    with pytest.raises(DomainError) as unsaid:
        card_hold(card_id=card.pk, reason="other", note=" ", actor_id=operator.pk)
    assert unsaid.value.field == "note"
    card.refresh_from_db()
    assert not card.on_hold and not HoldEvent.objects.exists()


@pytest.mark.django_db
def test_a_one_time_card_is_made_once_then_retires_by_itself(plant, planner, operator):  # type: ignore[no-untyped-def]
    loop = plant.finished_loop
    extra = loop_issue_one_time_card(
        loop_id=loop.pk, reason="trade fair order", actor_id=planner.pk
    )
    assert extra.one_time and extra.status == C.EMPTY and extra.number == 4
    assert PullSignal.objects.filter(card=extra).count() == 1  # to make
    card_move(card_id=extra.pk, to=C.IN_PROCESS, actor_id=operator.pk)
    card_move(card_id=extra.pk, to=C.FULL, actor_id=operator.pk)
    # Demand uses up every container: the regular ones signal, the one-time card retires.
    _consume(plant.finished, "20", "3")
    extra.refresh_from_db()
    assert extra.status == C.RETIRED and extra.work_order_id is None
    assert PullSignal.objects.filter(card=extra).count() == 1  # never signalled again
    assert loop.cards.filter(status=C.EMPTY).count() == 3


@pytest.mark.django_db
def test_a_one_time_card_marked_empty_on_the_board_retires(plant, planner, operator):  # type: ignore[no-untyped-def]
    extra = loop_issue_one_time_card(loop_id=plant.finished_loop.pk, reason="spike", actor_id=None)
    card_move(card_id=extra.pk, to=C.IN_PROCESS, actor_id=operator.pk)
    card_move(card_id=extra.pk, to=C.FULL, actor_id=operator.pk)
    moved = card_move(card_id=extra.pk, to=C.EMPTY, actor_id=operator.pk)
    assert moved.status == C.RETIRED
    assert PullSignal.objects.filter(card=extra).count() == 1


@pytest.mark.django_db
def test_the_board_shows_why_a_card_is_held_and_offers_no_start(operator_client, plant, operator):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=2)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)
    card_hold(card_id=card.pk, reason="missing_part", note="gasket", actor_id=operator.pk)
    html = operator_client.get(reverse("kanban:board", args=["assembly"])).content.decode()
    assert "On hold: Missing part (gasket)" in html
    assert f'id="move-{card.pk}-in_process"' not in html
    loop_hold(loop_id=plant.finished_loop.pk, reason="machine_down", actor_id=None)
    html = operator_client.get(reverse("kanban:board", args=["assembly"])).content.decode()
    assert '<p class="lane-hold">Loop on hold: Machine down</p>' in html


@pytest.mark.django_db
def test_the_card_page_holds_releases_and_lists_the_whole_history(  # type: ignore[no-untyped-def]
    operator_client, planner_client, plant, operator
):
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=operator.pk, reason="dropped")
    url = reverse("kanban:card", args=[card.pk])
    held = operator_client.post(
        reverse("kanban:card-hold", args=[card.pk, "card"]),
        {"reason": "machine_down", "note": "spindle"},
    )
    assert held.status_code == 302 and held["Location"] == url
    bad = operator_client.post(
        reverse("kanban:card-hold", args=[card.pk, "loop"]), {"reason": "nap"}
    )
    assert bad.status_code == 400 and "reason:" in bad.content.decode()
    plant.finished_loop.refresh_from_db()
    assert not plant.finished_loop.on_hold
    operator_client.post(reverse("kanban:card-hold", args=[card.pk, "card"]), {"action": "release"})
    html = operator_client.get(url).content.decode()
    rows = re.findall(r"<tr>\s*<td><time", html)
    assert len(rows) == 4  # opened full, the move, the hold, the release
    assert "olga" in html and "dropped" in html and "Machine down · spindle" in html
    assert "Card released" in html and "Full" in html and "Empty (to make)" in html
    # Only a planner issues a one-time card.
    issue = reverse("kanban:one-time-card", args=[card.pk])
    assert operator_client.post(issue, {"reason": "spike"}).status_code == 403
    assert planner_client.post(issue, {"reason": ""}).status_code == 400
    made = planner_client.post(issue, {"reason": "spike"})
    assert made.status_code == 302
    assert KanbanCard.objects.filter(loop=plant.finished_loop, one_time=True).count() == 1


@pytest.mark.django_db
def test_the_card_page_runs_a_fixed_number_of_queries(  # type: ignore[no-untyped-def]
    operator_client, plant, django_assert_max_num_queries
):
    card = plant.finished_loop.cards.get(number=1)
    for cycle in range(3):  # the components of three starts are in stock
        card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)
        card_move(card_id=card.pk, to=C.IN_PROCESS, actor_id=None)
        card_move(card_id=card.pk, to=C.FULL, actor_id=None)
        for i in range(10):
            card_hold(card_id=card.pk, reason="other", note=f"check {cycle}.{i}", actor_id=None)
            card_release(card_id=card.pk, actor_id=None)
    with django_assert_max_num_queries(7):  # session, user, roles, card, moves, holds, roles
        response = operator_client.get(reverse("kanban:card", args=[card.pk]))
    assert response.content.decode().count("<tr>") == 1 + 1 + 9 + 60  # head, opening, moves, holds


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.USES_POSTGRES, reason="row locks need PostgreSQL")
def test_a_loop_held_while_demand_drains_lets_no_signal_through(plant):  # type: ignore[no-untyped-def]
    """The hold commits while the drain waits for the cards: the drain, which read the loop
    before the hold, still raises no signal (it reads the hold from the card rows)."""
    loop = plant.finished_loop
    held = threading.Event()
    errors: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                loop_hold(loop_id=loop.pk, reason="machine_down", actor_id=None)
                held.set()
                time.sleep(1.0)  # the drain reads its loops and waits on the cards
        except BaseException as exc:  # asserted below
            errors.append(exc)
        finally:
            connection.close()

    def drain() -> None:
        try:
            held.wait(10)
            demand_record(product=plant.finished, quantity=D("5"), external_id="race-1")
            demand_process_pending()
        except BaseException as exc:  # asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=hold), threading.Thread(target=drain)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert loop.cards.filter(status=C.EMPTY).count() == 1  # consumed all the same
    assert not PullSignal.objects.filter(card__loop=loop).exists()
