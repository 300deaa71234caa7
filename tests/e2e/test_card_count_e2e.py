"""A planner counts the cards of a line in Chromium: a scanner types the codes, a card is
ticked, a mistyped code is refused, the count closes with one missing and one unexpected
card, and the missing card is reprinted."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kanban.codes import card_code
from kanban.inventory.models import CardCount, CountedCard
from kanban.models import CardEvent
from tests.e2e.conftest import shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_count_with_one_missing_and_one_unexpected_card(asgi_server, login, plant, planner):  # type: ignore[no-untyped-def]
    first, second, third = plant.finished_loop.cards.order_by("number")
    elsewhere = plant.component_loop.cards.get(number=1)  # a fab card left on assembly
    page = login(asgi_server, "pete")
    page.goto("/cards/counts/")
    expect(page.get_by_text("No count in progress")).to_be_visible()
    page.select_option("#count-line", "assembly")
    page.get_by_role("button", name="Start counting").click()
    expect(page.locator("h1")).to_contain_text("of line assembly")
    count = CardCount.objects.get()

    # A USB scanner types the code and Enter into the focused field.
    expect(page.locator("input[name=code]")).to_be_focused()
    page.keyboard.type(f"{card_code(first.pk)}\n")
    expect(page.locator(".messages")).to_contain_text("F-100 card 1 counted.")
    wrong = card_code(second.pk)[:-1] + str((int(card_code(second.pk)[-1]) + 1) % 10)
    page.locator("input[name=code]").fill(wrong)
    page.keyboard.press("Enter")
    expect(page.locator("#count-error")).to_contain_text("wrong check digit")
    page.locator("input[name=code]").fill(card_code(elsewhere.pk))
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("belongs elsewhere")
    page.get_by_label(f"F-100 #{second.number}").check()
    page.get_by_role("button", name="Count the ticked cards").click()
    expect(page.locator("#count-seen")).to_have_text("2")
    expect(page.locator("#count-unexpected")).to_have_text("1")
    shot(page, "card-count-open")

    page.get_by_role("button", name="Close the count").click()
    expect(page.locator("#count-status")).to_have_text("Closed")
    expect(page.locator("#count-missing")).to_have_text("1")
    expect(page.locator("#count-unexpected")).to_have_text("1")
    expect(page.locator("#missing tbody tr")).to_have_count(1)
    expect(page.locator(f"#missing-{third.pk}")).to_contain_text("F-100 #3")
    expect(page.locator(f"#unexpected-{elsewhere.pk}")).to_contain_text("Belongs elsewhere")
    expect(page.locator(f"#unexpected-{elsewhere.pk}")).to_contain_text("line fab")
    shot(page, "card-count-result")

    page.locator(f"#missing-{third.pk}").get_by_role("button", name="Reprint").click()
    expect(page.locator(f"#missing-{third.pk}")).to_contain_text("Reprinted")
    page.locator("#print-reprints").click()
    expect(page.locator(".print-card")).to_have_count(1)
    expect(page.locator(".print-code")).to_have_text(card_code(third.pk))
    expect(page.locator(".print-card img.barcode")).to_be_visible()
    assert CountedCard.objects.get(count=count, card=third).action == "reprinted"
    assert (
        CardEvent.objects.filter(card=third, reason__contains=f"card count {count.pk}").count() == 1
    )
