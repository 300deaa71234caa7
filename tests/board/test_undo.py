"""Mistakes put right: a container marked empty or started by mistake is put back, by whoever
moved it and only for a short time, with a reversing event (nothing is deleted)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from kanban.models import CardEvent, CardStatus, KanbanCard
from kanban.services import card_move, card_move_undo
from production.errors import NotAllowed
from production.models import StockLevel, StockMove, WorkOrder, WorkOrderStatus
from tests.factories import UserFactory
from tests.test_races import run_in_threads

pytestmark = pytest.mark.django_db
C = CardStatus


def _on_hand(plant) -> Decimal:  # type: ignore[no-untyped-def]
    return StockLevel.objects.get(product=plant.finished, location=plant.supermarket).on_hand


def _mark_empty(client, card: KanbanCard):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("kanban:card-move", args=[card.pk]),
        {"to": C.EMPTY, "version": card.version},
        headers={"HX-Request": "true"},
    )


def test_a_container_marked_empty_by_mistake_is_put_back_by_whoever_marked_it(  # type: ignore[no-untyped-def]
    operator_client, operator, plant
):
    card = plant.finished_loop.cards.get(number=1)
    before = _on_hand(plant)
    moved = _mark_empty(operator_client, card)
    undo = json.loads(moved["HX-Trigger"])["pb-moved"]["undo"]
    assert undo["seconds"] == 120 and undo["url"] == reverse("kanban:card-undo", args=[card.pk])
    card.refresh_from_db()
    order_id = card.work_order_id
    assert card.status == C.EMPTY and _on_hand(plant) == before - 5

    back = operator_client.post(
        undo["url"], {"event": undo["event"]}, headers={"HX-Request": "true"}
    )
    assert back.status_code == 200
    assert "put back" in json.loads(back["HX-Trigger"])["pb-moved"]["message"]
    card.refresh_from_db()
    assert card.status == C.FULL and card.remaining_quantity == 5 and card.work_order_id is None
    assert _on_hand(plant) == before  # the stock came back
    assert WorkOrder.objects.get(pk=order_id).status == WorkOrderStatus.CANCELLED
    # A reversing event that points to the move; the move itself is kept.
    events = list(CardEvent.objects.filter(card=card).order_by("id"))
    assert [(e.from_status, e.to_status) for e in events][-2:] == [
        (C.FULL, C.EMPTY),
        (C.EMPTY, C.FULL),
    ]
    assert events[-1].undoes_id == undo["event"] and events[-1].actor_id == operator.pk
    # Undone once: not twice.
    again = operator_client.post(
        undo["url"], {"event": undo["event"]}, headers={"HX-Request": "true"}
    )
    assert again.status_code == 409


def test_only_whoever_marked_it_may_undo_and_only_for_a_while(operator_client, plant, settings):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    undo = json.loads(_mark_empty(operator_client, card)["HX-Trigger"])["pb-moved"]["undo"]
    someone = UserFactory(username="other-op", roles=["operator"])
    with pytest.raises(NotAllowed):
        card_move_undo(card_id=card.pk, event_id=undo["event"], actor_id=someone.pk)
    CardEvent.objects.filter(pk=undo["event"]).update(
        created_at=timezone.now() - timedelta(seconds=121)
    )
    late = operator_client.post(
        undo["url"], {"event": undo["event"]}, headers={"HX-Request": "true"}
    )
    assert late.status_code == 409
    assert json.loads(late["HX-Trigger"])["pb-move-refused"]["code"] == "not_undoable"
    assert KanbanCard.objects.get(pk=card.pk).status == C.EMPTY
    bad = operator_client.post(undo["url"], {"event": "x"}, headers={"HX-Request": "true"})
    assert bad.status_code == 400
    assert json.loads(bad["HX-Trigger"])["pb-move-refused"]["field"] == "event"


def test_a_move_that_work_followed_cannot_be_undone(operator, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=operator.pk)
    event = CardEvent.objects.filter(card=card).latest("id")
    card_move(card_id=card.pk, to=C.IN_PROCESS, actor_id=operator.pk)
    with pytest.raises(NotAllowed) as refused:
        card_move_undo(card_id=card.pk, event_id=event.pk, actor_id=operator.pk)
    assert refused.value.code == "not_undoable"
    assert KanbanCard.objects.get(pk=card.pk).status == C.IN_PROCESS


def test_each_board_move_offers_its_undo_and_says_what_it_takes_back(operator_client, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    opened = operator_client.post(
        reverse("kanban:card-move", args=[card.pk]),
        {"to": C.IN_USE, "version": card.version},
        headers={"HX-Request": "true"},
    )
    assert json.loads(opened["HX-Trigger"])["pb-moved"]["undo"]["text"] == "Opened."


def _component_on_hand(plant) -> Decimal:  # type: ignore[no-untyped-def]
    return StockLevel.objects.get(product=plant.component, location=plant.supermarket).on_hand


def _start(client, card: KanbanCard):  # type: ignore[no-untyped-def]
    card.refresh_from_db()
    return client.post(
        reverse("kanban:card-move", args=[card.pk]),
        {"to": C.IN_PROCESS, "version": card.version},
        headers={"HX-Request": "true"},
    )


def test_a_container_started_by_mistake_is_not_started_after_all(  # type: ignore[no-untyped-def]
    operator_client, operator, plant
):
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=operator.pk)
    components = _component_on_hand(plant)
    for cycle in (1, 2):  # started, undone, started again, undone again
        started = _start(operator_client, card)
        undo = json.loads(started["HX-Trigger"])["pb-moved"]["undo"]
        assert undo["text"] == "Started."
        card.refresh_from_db()
        order = WorkOrder.objects.get(pk=card.work_order_id)
        assert order.status == WorkOrderStatus.IN_PROGRESS
        assert _component_on_hand(plant) == components - 10  # 2 a piece, 5 pieces

        back = operator_client.post(
            undo["url"], {"event": undo["event"]}, headers={"HX-Request": "true"}
        )
        assert back.status_code == 200, back.content
        card.refresh_from_db()
        order.refresh_from_db()
        assert card.status == C.EMPTY and card.work_order_id == order.pk  # its signal stands
        assert order.status == WorkOrderStatus.RELEASED and order.started_at is None
        assert _component_on_hand(plant) == components, cycle  # back once, each cycle
        last = CardEvent.objects.filter(card=card).latest("id")
        assert (last.from_status, last.to_status, last.undoes_id) == (
            C.IN_PROCESS,
            C.EMPTY,
            undo["event"],
        )
        assert order.events.latest("id").to_status == WorkOrderStatus.RELEASED
    # The ledger still equals the levels: every move kept, the give-backs added.
    assert _component_on_hand(plant) == sum(
        m.quantity
        for m in StockMove.objects.filter(product=plant.component, location=plant.supermarket)
    )


def test_a_finished_container_cannot_be_put_back_to_its_start(operator, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=operator.pk)
    card_move(card_id=card.pk, to=C.IN_PROCESS, actor_id=operator.pk)
    start = CardEvent.objects.filter(card=card).latest("id")
    card_move(card_id=card.pk, to=C.FULL, actor_id=operator.pk)
    finish = CardEvent.objects.filter(card=card).latest("id")
    with pytest.raises(NotAllowed) as refused:
        card_move_undo(card_id=card.pk, event_id=start.pk, actor_id=operator.pk)
    assert refused.value.code == "not_undoable"
    assert KanbanCard.objects.get(pk=card.pk).status == C.FULL
    assert finish.to_status == C.FULL  # its own undo: below


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.USES_POSTGRES, reason="row locks need PostgreSQL")
def test_two_undos_of_one_start_at_once_give_the_components_back_once(operator, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=operator.pk)
    components = _component_on_hand(plant)
    card_move(card_id=card.pk, to=C.IN_PROCESS, actor_id=operator.pk)
    start = CardEvent.objects.filter(card=card).latest("id")

    def undo() -> None:
        card_move_undo(card_id=card.pk, event_id=start.pk, actor_id=operator.pk)

    errors = run_in_threads([undo, undo])
    assert len(errors) == 1 and isinstance(errors[0], NotAllowed), errors
    assert _component_on_hand(plant) == components
    assert CardEvent.objects.filter(undoes=start).count() == 1


def _finish(operator, plant) -> tuple[KanbanCard, CardEvent]:  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=operator.pk)
    card_move(card_id=card.pk, to=C.IN_PROCESS, actor_id=operator.pk)
    card_move(card_id=card.pk, to=C.FULL, actor_id=operator.pk)
    return KanbanCard.objects.get(pk=card.pk), CardEvent.objects.filter(card=card).latest("id")


def test_a_container_finished_by_mistake_goes_back_in_process(operator_client, operator, plant):  # type: ignore[no-untyped-def]
    from production.webhooks.models import WebhookDelivery, WebhookSubscription

    WebhookSubscription.objects.create(
        url="https://erp.test/hooks", event_types=["work_order.reopened"]
    )
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=operator.pk)
    card_move(card_id=card.pk, to=C.IN_PROCESS, actor_id=operator.pk)
    card.refresh_from_db()
    order_id = card.work_order_id
    made = _on_hand(plant)
    finished = operator_client.post(
        reverse("kanban:card-move", args=[card.pk]),
        {"to": C.FULL, "version": card.version},
        headers={"HX-Request": "true"},
    )
    undo = json.loads(finished["HX-Trigger"])["pb-moved"]["undo"]
    assert undo["text"] == "Finished."
    assert _on_hand(plant) == made + 5

    back = operator_client.post(
        undo["url"], {"event": undo["event"]}, headers={"HX-Request": "true"}
    )
    assert back.status_code == 200, back.content
    card.refresh_from_db()
    order = WorkOrder.objects.get(pk=order_id)
    assert (card.status, card.work_order_id, card.remaining_quantity) == (C.IN_PROCESS, order_id, 0)
    assert order.status == WorkOrderStatus.IN_PROGRESS and order.completed_at is None
    assert _on_hand(plant) == made  # the output is out of stock again
    assert order.pull_signal.fulfilled_at is None
    assert WebhookDelivery.objects.filter(event_type="work_order.reopened").count() == 1
    # Finished again: received again, once.
    card_move(card_id=card.pk, to=C.FULL, actor_id=operator.pk)
    assert _on_hand(plant) == made + 5
    assert WorkOrder.objects.get(pk=order_id).status == WorkOrderStatus.DONE


def test_a_finish_whose_container_was_used_since_cannot_be_taken_back(operator, plant):  # type: ignore[no-untyped-def]
    card, finish = _finish(operator, plant)
    card_move(card_id=card.pk, to=C.IN_USE, actor_id=operator.pk)
    with pytest.raises(NotAllowed) as refused:
        card_move_undo(card_id=card.pk, event_id=finish.pk, actor_id=operator.pk)
    assert refused.value.code == "not_undoable"
    assert KanbanCard.objects.get(pk=card.pk).status == C.IN_USE


def test_a_container_opened_by_mistake_is_full_again(operator, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=2)
    before = _on_hand(plant)
    card_move(card_id=card.pk, to=C.IN_USE, actor_id=operator.pk)
    opened = CardEvent.objects.filter(card=card).latest("id")
    back = card_move_undo(card_id=card.pk, event_id=opened.pk, actor_id=operator.pk)
    assert back.status == C.FULL and back.remaining_quantity == 5
    assert _on_hand(plant) == before
    assert CardEvent.objects.filter(card=card).latest("id").undoes_id == opened.pk
