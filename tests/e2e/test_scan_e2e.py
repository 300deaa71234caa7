"""The scan page on a touch tablet with flaky Wi-Fi: scans made offline are kept on the
device and replayed, in order and exactly once, when it is back; what the server
refuses on replay is listed. Also the explicit mode and the WIP override on the page."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from kanban.models import CardEvent, CardStatus, KanbanCard
from kanban.services import card_move
from production.webhooks.models import IdempotencyKey
from tests.e2e.conftest import shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
C = CardStatus
TABLET = {"has_touch": True}


@pytest.fixture(scope="module", autouse=True)
def _no_repeat_window() -> Iterator[None]:
    """The app server of this module keeps no repeat window: only the Idempotency-Key
    stands between a replayed scan and a second move."""
    os.environ["PULLBOARD_SCAN_REPEAT_WINDOW_SECONDS"] = "0"
    yield
    del os.environ["PULLBOARD_SCAN_REPEAT_WINDOW_SECONDS"]


def test_scans_made_offline_are_replayed_in_order_exactly_once(  # type: ignore[no-untyped-def]
    asgi_server, login, plant, operator
):
    page = login(asgi_server, "olga", **TABLET)
    page.goto("/scan/")
    first, second, third = plant.finished_loop.cards.order_by("number")
    page.context.set_offline(True)
    page.keyboard.type(f"PB-CARD:{first.pk}\n")
    queue = page.locator("#offline-queue")
    expect(queue).to_be_visible()
    expect(page.locator("#scan-result")).to_contain_text("No connection")
    page.keyboard.type(f"PB-CARD:{second.pk}\n")
    page.keyboard.type(f"PB-CARD:{third.pk}\n")
    expect(queue).to_have_attribute("data-queued", "3")
    # Meanwhile a planner retires the third card: its replay is refused.
    card_move(card_id=third.pk, to=C.RETIRED, actor_id=None)
    page.locator("input[name=mode][value=empty]").check()  # does not touch queued scans
    shot(page, "scan-offline-queued")
    assert KanbanCard.objects.filter(pk__in=[first.pk, second.pk], status=C.FULL).count() == 2

    page.context.set_offline(False)
    expect(queue).to_have_attribute("data-queued", "0", timeout=10000)
    refused = page.locator("#offline-refused-list li")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text(f"PB-CARD:{third.pk}")
    shot(page, "scan-offline-replayed")

    expect(refused).to_contain_text("retired")
    # Each scan applied once, in the order made.
    for card in (first, second):
        card.refresh_from_db()
        assert card.status == C.EMPTY
        assert CardEvent.objects.filter(card=card, to_status=C.EMPTY, source="scan").count() == 1
    events = CardEvent.objects.filter(source="scan").order_by("id")
    assert [e.card_id for e in events][:2] == [first.pk, second.pk]
    assert IdempotencyKey.objects.filter(path="/scan/").count() >= 2
    # A reload does not send anything again.
    page.reload()
    expect(page.locator("#offline-queue")).to_have_attribute("data-queued", "0")
    assert CardEvent.objects.filter(source="scan", to_status=C.EMPTY).count() == 2


def test_the_mode_says_what_the_next_scan_does_and_the_wip_override_is_given_on_the_page(  # type: ignore[no-untyped-def]
    asgi_server, login, plant, operator
):
    cards = list(plant.finished_loop.cards.order_by("number"))
    for card in cards:
        card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)
    for card in cards[:2]:  # assembly's WIP limit is 2
        card_move(card_id=card.pk, to=C.IN_PROCESS, actor_id=None)
    page = login(asgi_server, "olga", **TABLET)
    page.goto("/scan/")
    page.locator("label.scan-mode", has_text="Start").click()
    expect(page.locator("#scan-next")).to_contain_text("starts making an empty card")
    page.locator("input[name=code]").focus()
    page.keyboard.type(f"PB-CARD:{cards[0].pk}\n")  # in process: not for "Start"
    result = page.locator("#scan-result")
    expect(result).to_have_class(re.compile(r"\bscan-error\b"))
    expect(result).to_contain_text("takes only empty cards")
    page.keyboard.type(f"PB-CARD:{cards[2].pk}\n")
    reason = page.locator("#scan-override-reason")
    expect(reason).to_be_focused()
    reason.fill("rush order, customer 12")
    page.get_by_role("button", name="Start anyway").click()
    expect(result).to_have_class(re.compile(r"\bscan-ok\b"))
    expect(page.locator("#scan-recent li").first).to_contain_text("Applied")
    shot(page, "scan-wip-override")
    event = CardEvent.objects.filter(card=cards[2]).latest("id")
    assert event.wip_override and event.reason == "rush order, customer 12"


def test_a_scan_whose_answer_was_lost_is_replayed_once_by_its_key(  # type: ignore[no-untyped-def]
    asgi_server, login, plant, operator
):
    page = login(asgi_server, "olga", **TABLET)
    page.goto("/scan/")
    card = plant.finished_loop.cards.get(number=1)

    def lose_the_answer(route):  # type: ignore[no-untyped-def]
        route.fetch()  # the scan reaches the server and is applied...
        route.abort()  # ...and its answer never comes back

    page.route("**/scan/", lose_the_answer)
    page.keyboard.type(f"PB-CARD:{card.pk}\n")
    queue = page.locator("#offline-queue")
    expect(queue).to_have_attribute("data-queued", "1")
    assert KanbanCard.objects.get(pk=card.pk).status == C.EMPTY
    page.unroute("**/scan/")
    expect(queue).to_have_attribute("data-queued", "0", timeout=20000)
    expect(page.locator("#offline-refused-list li")).to_have_count(0)
    # Without the key the replay would have been a second scan: empty -> in process.
    card.refresh_from_db()
    assert card.status == C.EMPTY and card.version == 2
    assert CardEvent.objects.filter(card=card, source="scan").count() == 1


def test_the_board_in_german(asgi_server, login, plant, operator):  # type: ignore[no-untyped-def]
    """A German tablet (Accept-Language de): the board, its cards and a live change, all in
    German, while an English board of the same line gets the same change in English."""
    english = login(asgi_server, "olga", locale="en-GB")
    english.goto("/boards/assembly/")  # the first board of the line: its feed reads English
    expect(english.locator("#live-state")).to_have_attribute("data-state", "live", timeout=5000)
    page = login(asgi_server, "olga", has_touch=True, locale="de-DE")
    page.goto("/boards/assembly/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live", timeout=5000)
    expect(page.locator("#live-state")).to_contain_text("Live")
    expect(page.locator("#col-empty")).to_contain_text("Zu fertigen (leer)")
    expect(page.locator("#col-in_process")).to_contain_text("In Fertigung")
    card = plant.finished_loop.cards.get(number=1)
    page.locator(f"#lane-section-{plant.finished.pk} .lane-toggle").tap()  # a quiet lane: folded
    expect(page.locator(f"#card-{card.pk}")).to_contain_text("Regelkreis @")
    expect(page.locator(f"#move-{card.pk}-empty")).to_contain_text("Leer melden")
    expect(page.get_by_role("link", name="Karten drucken").first).to_be_visible()
    # A change from elsewhere is swapped in live, in German too.
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)
    expect(page.locator(f".cell[data-status=empty] #card-{card.pk}")).to_contain_text(
        "wartet seit", timeout=5000
    )
    expect(page.locator(f"#move-{card.pk}-in_process")).to_contain_text("Starten")
    expect(english.locator(f".cell[data-status=empty] #card-{card.pk}")).to_contain_text("waiting")
    assert page.evaluate("document.querySelector('#board-lanes') !== null")
    shot(page, "board-german")
    # The language picker: Spanish from now on, for this user.
    page.select_option("#language-picker", "es")
    page.get_by_role("button", name="Wechseln").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#col-empty")).to_contain_text("A fabricar (vacío)")


def test_a_board_move_made_offline_is_replayed_once_when_back(  # type: ignore[no-untyped-def]
    asgi_server, login, plant, operator
):
    card = plant.finished_loop.cards.get(number=1)
    page = login(asgi_server, "olga", has_touch=True)
    page.goto("/boards/assembly/")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live", timeout=5000)
    page.locator(f"#lane-section-{plant.finished.pk} .lane-toggle").tap()
    page.context.set_offline(True)
    page.locator(f"#move-{card.pk}-in_use").tap()  # full -> in use (Open)
    queue = page.locator("#offline-queue")
    expect(queue).to_have_attribute("data-queued", "1")
    expect(page.locator("#offline-queue-list")).to_contain_text("F-100")
    shot(page, "board-offline-queued")
    assert KanbanCard.objects.get(pk=card.pk).status == C.FULL
    page.context.set_offline(False)
    expect(queue).to_have_attribute("data-queued", "0", timeout=20000)
    expect(page.locator(f".cell[data-status=in_use] #card-{card.pk}")).to_be_visible(timeout=10000)
    expect(page.locator("#offline-refused-list li")).to_have_count(0)
    card.refresh_from_db()
    assert card.status == C.IN_USE and card.version == 2
    assert CardEvent.objects.filter(card=card, to_status=C.IN_USE).count() == 1
