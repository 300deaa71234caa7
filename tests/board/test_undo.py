"""Mistakes put right: a container marked empty by mistake is put back, by whoever marked
it and only for a short time, with a reversing event (nothing is deleted)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kanban.models import CardEvent, CardStatus, KanbanCard
from kanban.services import card_move, card_move_undo
from production.errors import NotAllowed
from production.models import StockLevel, WorkOrder, WorkOrderStatus
from tests.factories import UserFactory

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


def test_moves_other_than_mark_empty_offer_no_undo(operator_client, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    opened = operator_client.post(
        reverse("kanban:card-move", args=[card.pk]),
        {"to": C.IN_USE, "version": card.version},
        headers={"HX-Request": "true"},
    )
    assert "undo" not in json.loads(opened["HX-Trigger"])["pb-moved"]
