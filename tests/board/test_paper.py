"""Cards on paper: the scan page, the print view and the lost-card audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from kanban.models import CardEvent, CardStatus, KanbanCard
from kanban.scanning import parse_scan_code
from kanban.services import card_move
from production.errors import DomainError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
C = CardStatus


def scan(client, code: str, htmx: bool = True):  # type: ignore[no-untyped-def]
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(reverse("kanban:scan"), {"code": code}, headers=headers)


def test_scanning_a_full_card_signals_then_each_scan_moves_it_on(operator_client, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=2)
    code = f"PB-CARD:{card.pk}"
    response = scan(operator_client, code)
    assert response.status_code == 200
    html = response.content.decode()
    assert "F-100 card 2: empty (to make)" in html
    assert "signal to make one container is raised" in html
    card.refresh_from_db()
    assert card.status == C.EMPTY and card.work_order_id is not None
    assert CardEvent.objects.filter(card=card).latest("id").source == "scan"
    cache.clear()  # past the repeat window
    assert "in process" in scan(operator_client, code).content.decode()
    cache.clear()
    assert "container is received" in scan(operator_client, code).content.decode()
    card.refresh_from_db()
    assert card.status == C.FULL


def test_a_repeat_scan_within_the_window_does_nothing(operator_client, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    scan(operator_client, f"PB-CARD:{card.pk}")
    events = CardEvent.objects.filter(card=card).count()
    response = scan(operator_client, f"pb-card:{card.pk}")
    assert response.status_code == 200
    assert "Already scanned" in response.content.decode()
    assert CardEvent.objects.filter(card=card).count() == events
    card.refresh_from_db()
    assert card.status == C.EMPTY


def test_unknown_and_garbled_codes_get_a_clear_error(operator_client, plant):  # type: ignore[no-untyped-def]
    response = scan(operator_client, "PB-CARD:999999")
    assert response.status_code == 404
    assert "No card has the code PB-CARD:999999" in response.content.decode()
    response = scan(operator_client, "hello world")
    assert response.status_code == 404
    assert "is not a Pullboard card code" in response.content.decode()
    assert 'role="alert"' in response.content.decode()


def test_a_card_in_the_wrong_state_gets_a_clear_error_and_can_be_rescanned(operator_client, plant):  # type: ignore[no-untyped-def]
    # Fill assembly's WIP (limit 2): the third empty card cannot start from a scan.
    cards = list(plant.finished_loop.cards.order_by("number"))
    for card in cards:
        card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)
    for card in cards[:2]:
        card_move(card_id=card.pk, to=C.IN_PROCESS, actor_id=None)
    response = scan(operator_client, f"PB-CARD:{cards[2].pk}")
    assert response.status_code == 409
    assert "WIP limit 2" in response.content.decode()
    # The refused scan did not take the repeat guard: once WIP frees, it works at once.
    card_move(card_id=cards[0].pk, to=C.FULL, actor_id=None)
    response = scan(operator_client, f"PB-CARD:{cards[2].pk}")
    assert response.status_code == 200
    assert KanbanCard.objects.get(pk=cards[2].pk).status == C.IN_PROCESS


def test_a_retired_card_cannot_be_scanned(operator_client, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=3)
    card_move(card_id=card.pk, to=C.RETIRED, actor_id=None)
    response = scan(operator_client, f"PB-CARD:{card.pk}")
    assert response.status_code == 409
    assert "retired" in response.content.decode()


def test_scan_page_without_htmx_renders_the_whole_page(operator_client, plant):  # type: ignore[no-untyped-def]
    page = operator_client.get(reverse("kanban:scan"))
    assert page.status_code == 200 and 'name="code"' in page.content.decode()
    card = plant.finished_loop.cards.get(number=1)
    response = scan(operator_client, f"PB-CARD:{card.pk}", htmx=False)
    assert "<h1>Scan a card</h1>" in response.content.decode()
    assert "F-100 card 1" in response.content.decode()


@pytest.mark.parametrize(
    "raw", ["PB-CARD:42", "pb-card:42", " PB-CARD:42\n", "PB'CARDÖ42", "PB_CARD_42"]
)
def test_scan_codes_survive_keyboard_layout_mixups(raw):  # type: ignore[no-untyped-def]
    assert parse_scan_code(raw) == 42


@pytest.mark.parametrize("raw", ["", "PB-CARD:", "CARD:42", "PB-CARD:42x", "https://example.com"])
def test_anything_else_is_not_a_card_code(raw):  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError, match="not a Pullboard card code"):
        parse_scan_code(raw)


def test_scanning_needs_a_board_role(client, plant):  # type: ignore[no-untyped-def]
    client.force_login(UserFactory(username="erp2", roles=["integration"]))
    card = plant.finished_loop.cards.get(number=1)
    assert scan(client, f"PB-CARD:{card.pk}").status_code == 403
    assert KanbanCard.objects.get(pk=card.pk).status == C.FULL


def test_print_view_lays_out_cards_with_qr_codes(
    operator_client, plant, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    with django_assert_max_num_queries(7):
        response = operator_client.get(reverse("kanban:print"), {"line": "fab", "paper": "letter"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="print-card"') == 4
    assert html.count('class="qr" src="data:image/svg+xml') == 4
    assert html.count('class="barcode" src="data:image/svg+xml') == 4  # Code 128 beside each
    first = plant.component_loop.cards.get(number=1)
    assert f"PB-CARD:{first.pk}-" in html  # with its check digit (kanban/codes.py)
    assert "paper-letter" in html and "Card 1 <span>of 4</span>" in html
    loop_only = operator_client.get(reverse("kanban:print"), {"loop": plant.finished_loop.pk})
    assert loop_only.content.decode().count('class="print-card"') == 3


def test_print_view_puts_eight_cards_on_a_page(operator_client, make_line):  # type: ignore[no-untyped-def]
    make_line(code="many", products=2, cards=6)
    html = operator_client.get(reverse("kanban:print"), {"line": "many"}).content.decode()
    assert html.count('class="sheet"') == 2
    assert "12 cards</strong> on 2 pages (A4)" in html


def test_print_view_without_a_choice_explains_itself(operator_client, plant):  # type: ignore[no-untyped-def]
    html = operator_client.get(reverse("kanban:print")).content.decode()
    assert "Choose a line or a loop" in html


def test_lost_card_audit_lists_cards_not_seen_for_n_days(planner_client, plant):  # type: ignore[no-untyped-def]
    old = timezone.now() - timedelta(days=20)
    lost = plant.finished_loop.cards.get(number=3)
    KanbanCard.objects.filter(pk=lost.pk).update(status_changed_at=old)
    CardEvent.objects.filter(card=lost).update(created_at=old)
    # A card whose status is old but which was scanned recently is not lost.
    seen = plant.finished_loop.cards.get(number=2)
    KanbanCard.objects.filter(pk=seen.pk).update(status_changed_at=old)
    response = planner_client.get(reverse("kanban:lost-cards"), {"days": 14})
    html = response.content.decode()
    assert response.status_code == 200
    assert "F-100 #3" in html
    assert "F-100 #2" not in html and "F-100 #1" not in html
    assert (
        "F-100 #3"
        not in planner_client.get(reverse("kanban:lost-cards"), {"days": 30}).content.decode()
    )
    assert (
        "No lost cards"
        in planner_client.get(reverse("kanban:lost-cards"), {"days": 30}).content.decode()
    )


def test_lost_card_audit_is_for_planners(operator_client, plant):  # type: ignore[no-untyped-def]
    assert operator_client.get(reverse("kanban:lost-cards")).status_code == 403


@pytest.mark.parametrize("cards", [2, 30])
def test_lost_card_audit_runs_a_fixed_number_of_queries(  # type: ignore[no-untyped-def]
    planner_client, make_line, django_assert_max_num_queries, cards
):
    make_line(code="old", products=3, cards=cards)
    KanbanCard.objects.update(status_changed_at=timezone.now() - timedelta(days=40))
    CardEvent.objects.update(created_at=timezone.now() - timedelta(days=40))
    with django_assert_max_num_queries(6):
        response = planner_client.get(reverse("kanban:lost-cards"), {"days": 30})
    assert response.content.decode().count("<tr>") == 3 * cards + 1  # + the header row


def test_lost_card_audit_pages_hundreds_of_cards_in_fixed_queries(  # type: ignore[no-untyped-def]
    planner_client, make_line, django_assert_max_num_queries
):
    make_line(code="old", products=10, cards=25)  # 250 cards, none seen for 40 days
    KanbanCard.objects.update(status_changed_at=timezone.now() - timedelta(days=40))
    CardEvent.objects.update(created_at=timezone.now() - timedelta(days=40))
    with django_assert_max_num_queries(7):
        first = planner_client.get(reverse("kanban:lost-cards"), {"days": 30})
    html = first.content.decode()
    assert first.status_code == 200
    assert html.count("<tr>") - 1 == 100  # the header row, then one page of cards
    assert "Cards 1 to 100 of 250, oldest first." in html
    assert 'rel="next"' in html
    with django_assert_max_num_queries(7):
        last = planner_client.get(reverse("kanban:lost-cards"), {"days": 30, "page": 3})
    html = last.content.decode()
    assert html.count("<tr>") - 1 == 50
    assert "Cards 201 to 250 of 250" in html and 'rel="next"' not in html
