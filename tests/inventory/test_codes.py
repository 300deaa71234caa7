"""Card codes carry a Damm check digit: a mistyped code is refused, never matched to
another card; old labels without one keep working while the setting allows them. The
print view shows a Code 128 barcode beside the QR code."""

from __future__ import annotations

import base64

import pytest
from django.urls import reverse

from kanban.codes import card_code, check_digit, parse_card_code
from kanban.models import CardEvent, CardStatus
from production.errors import DomainError

C = CardStatus


def _typos(code: str) -> set[str]:
    """Every single-digit substitution and every swap of two neighbouring digits."""
    found = set()
    for i, digit in enumerate(code):
        for other in "0123456789":
            if other != digit:
                found.add(code[:i] + other + code[i + 1 :])
        if i + 1 < len(code) and code[i] != code[i + 1]:
            found.add(code[:i] + code[i + 1] + code[i] + code[i + 2 :])
    return found


def test_every_single_typo_and_neighbour_swap_is_refused() -> None:
    """Over the ids of a plant's 20,000 cards: no typo of a code reads as another card."""
    for card_id in range(1, 20001):
        digits = f"{card_id}{check_digit(card_id)}"
        for typo in _typos(digits):
            if typo[0] == "0":
                continue  # a leading zero names the same number: not another card
            number, digit = int(typo[:-1]), int(typo[-1])
            assert check_digit(number) != digit, (card_id, typo)


def test_the_code_format_round_trips_and_survives_keyboard_layout_mixups() -> None:
    assert card_code(572) == "PB-CARD:572-4"  # Damm's published example: 572 -> 4
    for raw in (
        "PB-CARD:572-4",
        "pb-card:572-4",
        " PB-CARD:572-4\n",
        "PB'CARDÖ572ß4",
        "PB_CARD_572_4",
    ):
        assert parse_card_code(raw) == (572, True)


@pytest.mark.parametrize("raw", ["PB-CARD:572-5", "PB-CARD:527-4", "PB-CARD:571-4"])
def test_a_wrong_check_digit_is_refused_naming_the_code(raw: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_card_code(raw)
    assert refused.value.field == "code" and refused.value.code == "bad_check_digit"
    assert "wrong check digit" in refused.value.message


def test_old_labels_read_until_the_setting_turns_them_off(settings) -> None:  # type: ignore[no-untyped-def]
    assert parse_card_code("PB-CARD:572") == (572, False)
    settings.PULLBOARD = {**settings.PULLBOARD, "ACCEPT_UNCHECKED_CARD_CODES": False}
    with pytest.raises(DomainError) as refused:
        parse_card_code("PB-CARD:572")
    assert refused.value.code == "no_check_digit"
    assert "PB-CARD:572-4" in refused.value.message  # says what the new label reads


def test_the_scan_page_refuses_a_wrong_check_digit_and_moves_nothing(operator, plant, client):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    card = plant.finished_loop.cards.get(number=1)
    wrong = (check_digit(card.pk) + 1) % 10
    events = CardEvent.objects.filter(card=card).count()
    response = client.post(
        reverse("kanban:scan"),
        {"code": f"PB-CARD:{card.pk}-{wrong}"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert "wrong check digit" in response.content.decode()
    card.refresh_from_db()
    assert card.status == C.FULL and CardEvent.objects.filter(card=card).count() == events
    response = client.post(
        reverse("kanban:scan"), {"code": card_code(card.pk)}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    card.refresh_from_db()
    assert card.status == C.EMPTY


def test_the_print_view_shows_a_code_128_barcode_beside_the_qr_code(operator, plant, client):  # type: ignore[no-untyped-def]
    from barcode import Code128

    client.force_login(operator)
    html = client.get(reverse("kanban:print"), {"line": "assembly"}).content.decode()
    card = plant.finished_loop.cards.get(number=1)
    code = card_code(card.pk)
    assert f'<p class="print-code">{code}</p>' in html
    assert f'alt="Barcode {code}"' in html
    marker = 'class="barcode" src="data:image/svg+xml;base64,'
    assert html.count(marker) == 3  # one per card of F-100
    start = html.index(marker) + len(marker)
    svg = base64.b64decode(html[start : html.index('"', start)]).decode()
    # The bars are the Code 128 symbol of the code: as many bars as its modules say.
    modules = Code128(code).build()[0]
    bars = sum(1 for i, m in enumerate(modules) if m == "1" and (i == 0 or modules[i - 1] == "0"))
    assert svg.startswith("<?xml") and svg.count("fill:black") == bars


def test_the_print_view_prints_single_cards_by_id(operator, plant, client):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    first, second = plant.finished_loop.cards.order_by("number")[:2]
    html = client.get(reverse("kanban:print"), {"card": f"{first.pk},{second.pk}"}).content.decode()
    assert html.count('class="print-card"') == 2
    response = client.get(reverse("kanban:print"), {"card": "1;drop"})
    assert response.status_code == 200 and 'class="print-card"' not in response.content.decode()
