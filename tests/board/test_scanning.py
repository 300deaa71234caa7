"""The scan page as an operator runs a shift on it: an explicit mode, the last scans with
their result, the WIP override asked for there and then, and scans (and board moves)
sent twice by the offline queue applied once, by their Idempotency-Key."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from kanban.models import CardEvent, CardStatus, KanbanCard
from kanban.services import card_move
from production.webhooks.models import IdempotencyKey

pytestmark = pytest.mark.django_db
C = CardStatus
HTMX = {"HX-Request": "true"}


def scan(client, card, **fields):  # type: ignore[no-untyped-def]
    headers = {**HTMX, **fields.pop("headers", {})}
    data = {"code": f"PB-CARD:{card.pk}", **fields}
    return client.post(reverse("kanban:scan"), data, headers=headers)


def test_a_scan_in_an_explicit_mode_only_makes_that_move(operator_client, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)  # full
    response = scan(operator_client, card, mode="start")
    body = response.content.decode()
    assert response.status_code == 409
    assert "is full: in the mode “Start” a scan takes only empty cards" in body
    card.refresh_from_db()
    assert card.status == C.FULL and card.version == 1

    response = scan(operator_client, card, mode="empty")
    assert response.status_code == 200
    assert KanbanCard.objects.get(pk=card.pk).status == C.EMPTY
    # The page remembers the mode and says what the next scan will do.
    page = operator_client.get(reverse("kanban:scan")).content.decode()
    assert 'value="empty" data-effect="The next scan marks a full or in-use container empty' in page
    assert 'value="empty" data-effect' in page and "checked> Signal empty" in page
    assert "The next scan marks a full or in-use container empty" in page


def test_a_mode_the_page_does_not_offer_is_a_400_naming_it(operator_client, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    response = scan(operator_client, card, mode="teleport")
    assert response.status_code == 400
    assert "What a scan does:" in response.content.decode()
    assert KanbanCard.objects.get(pk=card.pk).status == C.FULL


def test_the_last_scans_are_listed_with_their_result(operator_client, plant):  # type: ignore[no-untyped-def]
    first, second = plant.finished_loop.cards.order_by("number")[:2]
    response = scan(operator_client, first)
    # The htmx answer carries the list too, swapped out of band.
    assert 'id="scan-recent" aria-labelledby="scan-recent-title" hx-swap-oob="true"' in (
        response.content.decode()
    )
    scan(operator_client, second, mode="finish")  # refused: it is full
    page = operator_client.get(reverse("kanban:scan")).content.decode()
    recent = page[page.index('id="scan-recent"') :]
    refused, applied = recent.index("scan-recent-refused"), recent.index("scan-recent-ok")
    assert refused < applied  # newest first
    assert "F-100 card 1" in recent and "Full → Empty (to make)" in recent
    assert "F-100 #2 is full" in recent


def test_at_the_wip_limit_the_scan_asks_for_the_reason_and_the_override_goes_through(  # type: ignore[no-untyped-def]
    operator_client, plant
):
    cards = list(plant.finished_loop.cards.order_by("number"))
    for card in cards:
        card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)
    for card in cards[:2]:  # assembly's WIP limit is 2
        card_move(card_id=card.pk, to=C.IN_PROCESS, actor_id=None)

    refused = scan(operator_client, cards[2]).content.decode()
    assert 'id="scan-override"' in refused
    assert 'name="wip_override_reason"' in refused and "required" in refused
    assert f'name="code" value="PB-CARD:{cards[2].pk}"' in refused

    response = scan(operator_client, cards[2], wip_override_reason="rush order for customer 12")
    assert response.status_code == 200
    assert KanbanCard.objects.get(pk=cards[2].pk).status == C.IN_PROCESS
    event = CardEvent.objects.filter(card=cards[2]).latest("id")
    assert event.wip_override and event.reason == "rush order for customer 12"
    assert event.source == "scan"


def test_a_scan_replayed_with_its_key_is_applied_once(operator_client, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    key = {"Idempotency-Key": "tablet-7-scan-1"}
    first = scan(operator_client, card, headers=key)
    assert first.status_code == 200
    cache.clear()  # the replay comes after the repeat window (the tablet was offline)
    again = scan(operator_client, card, headers=key)
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content  # the answer the first try got
    card.refresh_from_db()
    assert card.status == C.EMPTY and card.version == 2
    assert CardEvent.objects.filter(card=card, to_status=C.EMPTY).count() == 1


def test_a_board_move_replayed_with_its_key_is_applied_once(operator_client, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    url = reverse("kanban:card-move", args=[card.pk])
    data = {"to": C.EMPTY, "version": 1}
    key = {**HTMX, "Idempotency-Key": "tablet-7-move-1"}
    first = operator_client.post(url, data, headers=key)
    again = operator_client.post(url, data, headers=key)
    assert first.status_code == again.status_code == 200  # not a 412: the same move
    assert again["Idempotent-Replayed"] == "true"
    assert json.loads(again["HX-Trigger"])["pb-moved"]["card"] == card.pk
    card.refresh_from_db()
    assert card.status == C.EMPTY and card.version == 2
    assert CardEvent.objects.filter(card=card, to_status=C.EMPTY).count() == 1

    # The same key for another request is refused, and changes nothing.
    other = operator_client.post(url, {"to": C.IN_PROCESS, "version": 2}, headers=key)
    assert other.status_code == 422
    assert "Idempotency-Key was used with a different request" in other.content.decode()
    assert KanbanCard.objects.get(pk=card.pk).status == C.EMPTY


def test_a_refused_scan_leaves_its_key_free_for_a_corrected_retry(operator_client, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    key = {"Idempotency-Key": "tablet-7-scan-2"}
    assert scan(operator_client, card, mode="start", headers=key).status_code == 409
    assert not IdempotencyKey.objects.filter(key="tablet-7-scan-2").exists()
    assert (
        scan(operator_client, card, mode="start", headers={"Idempotency-Key": " "}).status_code
        == 400
    )
