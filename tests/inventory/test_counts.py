"""A planner counts a line's cards: scans or ticks what is there, closes the count, and
reads what is missing and what does not belong; a missing card is reprinted (the same
card, a new print) or retired (its container's stock out by a ledger move)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from kanban.codes import card_code
from kanban.inventory.models import CardCount, CountedCard, Outcome, Unexpected
from kanban.inventory.services import (
    card_count_close,
    card_count_reprint,
    card_count_retire,
    card_count_scan,
    card_count_start,
    card_count_tick,
)
from kanban.models import CardEvent, CardStatus
from kanban.services import card_move, loop_create
from production.errors import DomainError, NotAllowed, VersionConflict
from production.models import MoveKind, StockLevel, StockMove
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
C = CardStatus


def _scan(count: CardCount, card, planner) -> None:  # type: ignore[no-untyped-def]
    card_count_scan(count_id=count.pk, code=card_code(card.pk), actor_id=planner.pk)


def test_a_count_lists_one_missing_and_one_unexpected_card(plant, planner):  # type: ignore[no-untyped-def]
    first, second, third = plant.finished_loop.cards.order_by("number")
    elsewhere = plant.component_loop.cards.get(number=1)  # fab's card, seen on assembly
    count = card_count_start(line=plant.assembly, actor_id=planner.pk)
    _scan(count, first, planner)
    card_count_tick(count_id=count.pk, card_ids=[second.pk], actor_id=planner.pk)
    scanned = card_count_scan(count_id=count.pk, code=card_code(elsewhere.pk), actor_id=None)
    assert not scanned.in_scope and "belongs elsewhere" in scanned.message
    again = card_count_scan(count_id=count.pk, code=card_code(first.pk), actor_id=None)
    assert not again.new and "already counted" in again.message

    closed = card_count_close(count_id=count.pk, actor_id=planner.pk)
    assert (closed.expected_count, closed.found_count) == (3, 2)
    assert (closed.missing_count, closed.unexpected_count) == (1, 1)
    rows = {row.card_id: row for row in CountedCard.objects.filter(count=count)}
    assert rows[third.pk].outcome == Outcome.MISSING
    assert rows[elsewhere.pk].outcome == Outcome.UNEXPECTED
    assert rows[elsewhere.pk].unexpected == Unexpected.ELSEWHERE
    assert rows[second.pk].via == "tick" and rows[first.pk].via == "scan"


def test_a_retired_card_seen_is_unexpected_and_a_location_count_spans_lines(plant, planner):  # type: ignore[no-untyped-def]
    retired = plant.finished_loop.cards.get(number=3)
    card_move(card_id=retired.pk, to=C.RETIRED, actor_id=None)
    count = card_count_start(location=plant.supermarket, actor_id=planner.pk)
    assert (
        "retired"
        in card_count_scan(count_id=count.pk, code=card_code(retired.pk), actor_id=None).message
    )
    closed = card_count_close(count_id=count.pk, actor_id=planner.pk)
    assert closed.expected_count == 2 + 4  # both loops sit at sm-main, retired excluded
    row = CountedCard.objects.get(count=count, card=retired)
    assert (row.outcome, row.unexpected) == (Outcome.UNEXPECTED, Unexpected.RETIRED)


def test_a_card_scanned_into_two_counts_at_once_is_counted_in_each(plant, planner):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    by_line = card_count_start(line=plant.assembly, actor_id=planner.pk)
    by_location = card_count_start(location=plant.supermarket, actor_id=planner.pk)
    _scan(by_line, card, planner)
    _scan(by_location, card, planner)
    for count in (by_line, by_location):
        card_count_close(count_id=count.pk, actor_id=planner.pk)
        assert CountedCard.objects.get(count=count, card=card).outcome == Outcome.FOUND


def test_one_open_count_per_line_and_a_closed_count_takes_nothing(plant, planner):  # type: ignore[no-untyped-def]
    count = card_count_start(line=plant.assembly, actor_id=planner.pk)
    with pytest.raises(NotAllowed) as refused:
        card_count_start(line=plant.assembly, actor_id=None)
    assert refused.value.code == "count_in_progress" and "pete" in refused.value.message
    with pytest.raises(DomainError) as neither:
        card_count_start(actor_id=None)
    assert neither.value.field == "line"
    with pytest.raises(VersionConflict):
        card_count_close(count_id=count.pk, actor_id=None, expected_version=count.version + 1)
    card_count_close(count_id=count.pk, actor_id=None, expected_version=count.version)
    card = plant.finished_loop.cards.get(number=1)
    with pytest.raises(NotAllowed) as closed:
        _scan(count, card, planner)
    assert closed.value.code == "count_closed"
    with pytest.raises(NotAllowed):
        card_count_close(count_id=count.pk, actor_id=None)
    assert card_count_start(line=plant.assembly, actor_id=None).pk != count.pk  # a new one


def test_a_bad_check_digit_or_a_foreign_tick_changes_nothing(plant, planner):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    count = card_count_start(line=plant.assembly, actor_id=planner.pk)
    wrong = card_code(card.pk)[:-1] + str((int(card_code(card.pk)[-1]) + 1) % 10)
    with pytest.raises(DomainError) as refused:
        card_count_scan(count_id=count.pk, code=wrong, actor_id=None)
    assert refused.value.field == "code" and refused.value.code == "bad_check_digit"
    foreign = plant.component_loop.cards.get(number=1)
    with pytest.raises(DomainError) as ticked:
        card_count_tick(count_id=count.pk, card_ids=[card.pk, foreign.pk], actor_id=None)
    assert ticked.value.field == "cards" and str(foreign.pk) in ticked.value.message
    assert not CountedCard.objects.filter(count=count).exists()


def _closed_with_missing(plant, planner):  # type: ignore[no-untyped-def]
    count = card_count_start(line=plant.assembly, actor_id=planner.pk)
    card_count_close(count_id=count.pk, actor_id=planner.pk)  # nothing seen: all missing
    return count


def test_reprint_keeps_the_card_and_writes_its_event(plant, planner):  # type: ignore[no-untyped-def]
    count = _closed_with_missing(plant, planner)
    card = plant.finished_loop.cards.get(number=2)
    before = (card.pk, card.number, card.version, card.status)
    row = card_count_reprint(count_id=count.pk, card_id=card.pk, actor_id=planner.pk)
    assert row.action == "reprinted" and row.acted_by_id == planner.pk
    card.refresh_from_db()
    assert (card.pk, card.number, card.version, card.status) == before
    event = CardEvent.objects.filter(card=card).latest("id")
    assert (event.from_status, event.to_status, event.actor_id) == (C.FULL, C.FULL, planner.pk)
    assert f"card count {count.pk}" in event.reason
    with pytest.raises(NotAllowed) as twice:
        card_count_retire(count_id=count.pk, card_id=card.pk, actor_id=planner.pk)
    assert twice.value.code == "already_done"


def test_retiring_a_missing_full_card_takes_its_stock_out_by_a_ledger_move(plant, planner):  # type: ignore[no-untyped-def]
    count = _closed_with_missing(plant, planner)
    card = plant.finished_loop.cards.get(number=3)
    level = StockLevel.objects.get(product=plant.finished, location=plant.supermarket)
    on_hand = level.on_hand
    card_count_retire(count_id=count.pk, card_id=card.pk, actor_id=planner.pk)
    card.refresh_from_db()
    level.refresh_from_db()
    assert card.status == C.RETIRED
    assert level.on_hand == on_hand - Decimal("5")
    move = StockMove.objects.filter(product=plant.finished).latest("id")
    assert move.kind == MoveKind.ADJUSTMENT and move.quantity == Decimal("-5")
    event = CardEvent.objects.filter(card=card).latest("id")
    assert event.to_status == C.RETIRED and f"card count {count.pk}" in event.reason


def test_a_missing_card_in_use_cannot_be_retired_and_nothing_changes(plant, planner):  # type: ignore[no-untyped-def]
    count = _closed_with_missing(plant, planner)
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=C.IN_USE, actor_id=None)
    with pytest.raises(NotAllowed) as refused:
        card_count_retire(count_id=count.pk, card_id=card.pk, actor_id=planner.pk)
    assert "only a full or empty card can be retired" in refused.value.message
    assert CountedCard.objects.get(count=count, card=card).action == ""
    with pytest.raises(DomainError) as not_missing:
        card_count_reprint(
            count_id=count.pk, card_id=plant.component_loop.cards.first().pk, actor_id=None
        )
    assert not_missing.value.code == "not_found"


# ---- pages ---------------------------------------------------------------------------


def test_the_pages_check_the_role_of_who_asks(plant, planner, operator_client, erp_client, client):  # type: ignore[no-untyped-def]
    count = card_count_start(line=plant.assembly, actor_id=planner.pk)
    counts, page = reverse("kanban:counts"), reverse("kanban:count", args=[count.pk])
    assert client.get(counts).status_code == 302  # to the login
    assert erp_client.get(counts).status_code == 403
    assert erp_client.get(page).status_code == 403
    assert operator_client.get(page).status_code == 200  # operators help count
    card = plant.finished_loop.cards.get(number=1)
    scan = reverse("kanban:count-scan", args=[count.pk])
    assert operator_client.post(scan, {"code": card_code(card.pk)}).status_code == 302
    # Starting, closing, reprinting and retiring are a planner's.
    start = reverse("kanban:count-start")
    assert operator_client.post(start, {"location": plant.supermarket.code}).status_code == 403
    assert operator_client.post(reverse("kanban:count-close", args=[count.pk])).status_code == 403
    action = reverse("kanban:count-card", args=[count.pk, card.pk, "retire"])
    assert operator_client.post(action).status_code == 403
    assert CardCount.objects.get(pk=count.pk).is_open


def test_a_planner_counts_on_the_pages(plant, planner_client):  # type: ignore[no-untyped-def]
    response = planner_client.post(reverse("kanban:count-start"), {"line": "assembly"})
    count = CardCount.objects.get()
    assert response.status_code == 302 and response.url == reverse("kanban:count", args=[count.pk])
    first, second, third = plant.finished_loop.cards.order_by("number")
    response = planner_client.post(
        reverse("kanban:count-scan", args=[count.pk]), {"code": card_code(first.pk)}, follow=True
    )
    assert "F-100 card 1 counted." in response.content.decode()
    bad = card_code(second.pk)[:-1] + str((int(card_code(second.pk)[-1]) + 1) % 10)
    response = planner_client.post(reverse("kanban:count-scan", args=[count.pk]), {"code": bad})
    assert response.status_code == 400 and "wrong check digit" in response.content.decode()
    planner_client.post(reverse("kanban:count-tick", args=[count.pk]), {"card": [second.pk]})
    html = planner_client.get(reverse("kanban:count", args=[count.pk])).content.decode()
    assert '<strong id="count-seen">2</strong>' in html
    assert f'id="tick-{third.pk}"' in html and f'id="tick-{first.pk}"' not in html
    response = planner_client.post(
        reverse("kanban:count-close", args=[count.pk]), {"version": count.version}, follow=True
    )
    html = response.content.decode()
    assert '<strong id="count-missing">1</strong>' in html and f'id="missing-{third.pk}"' in html
    response = planner_client.post(
        reverse("kanban:count-card", args=[count.pk, third.pk, "reprint"]), follow=True
    )
    html = response.content.decode()
    assert "print its new label" in html
    assert f'href="/cards/print/?card={third.pk}" id="print-reprints"' in html


def test_bad_input_on_the_pages_names_the_field_and_changes_nothing(plant, planner_client):  # type: ignore[no-untyped-def]
    start = reverse("kanban:count-start")
    response = planner_client.post(start, {})
    assert (
        response.status_code == 400 and "Choose a line or a location" in response.content.decode()
    )
    response = planner_client.post(start, {"line": "no-such-line"})
    assert response.status_code == 400 and "There is no such line" in response.content.decode()
    planner_client.post(start, {"line": "assembly"})
    response = planner_client.post(start, {"line": "assembly"})
    assert response.status_code == 409 and "already in progress" in response.content.decode()
    assert CardCount.objects.count() == 1
    count = CardCount.objects.get()
    response = planner_client.post(reverse("kanban:count-tick", args=[count.pk]), {"card": ["x"]})
    assert response.status_code == 400 and "whole numbers" in response.content.decode()
    response = planner_client.post(reverse("kanban:count-scan", args=[count.pk]), {"code": ""})
    assert response.status_code == 400 and "Nothing was scanned" in response.content.decode()
    assert planner_client.get(reverse("kanban:count", args=[999999])).status_code == 404
    assert not CountedCard.objects.exists()


def test_the_pages_answer_in_a_constant_number_of_queries(
    plant, planner, planner_client, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    """A line of 300 cards, half seen: the count page and its result cost the same."""
    for i in range(6):
        product = ProductFactory(sku=f"BIG-{i}", line=plant.assembly, supermarket=plant.supermarket)
        loop_create(product=product, card_count=50)
    count = card_count_start(line=plant.assembly, actor_id=planner.pk)
    ids = list(
        plant.finished_loop.cards.model.objects.filter(loop__product__line=plant.assembly)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    html = planner_client.get(reverse("kanban:count", args=[count.pk])).content.decode()
    assert html.count('name="card" value=') == 300  # the list to tick is bounded
    assert "The first 300 of the 303 cards not seen yet" in html
    card_count_tick(count_id=count.pk, card_ids=ids[::2], actor_id=planner.pk)
    with django_assert_max_num_queries(14):
        response = planner_client.get(reverse("kanban:count", args=[count.pk]))
    html = response.content.decode()
    assert f'<strong id="count-seen">{len(ids[::2])}</strong>' in html
    assert html.count('name="card" value=') == len(ids[1::2])  # only the cards not seen
    card_count_close(count_id=count.pk, actor_id=planner.pk)
    with django_assert_max_num_queries(14):
        response = planner_client.get(reverse("kanban:count", args=[count.pk]))
    assert response.content.decode().count('<tr id="missing-') == len(ids[1::2])
    with django_assert_max_num_queries(12):
        assert planner_client.get(reverse("kanban:counts")).status_code == 200
