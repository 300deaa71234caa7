"""The board in a real browser: drag, live arrival on a second board, refusals, WIP
override, the scan page and the print view. Screenshots land in test-artifacts/."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from django.db.models import F
from playwright.sync_api import expect

from kanban.models import CardEvent, CardStatus, KanbanCard
from kanban.services import card_move
from production.services import demand_process_pending, demand_record
from tests.e2e.conftest import ARTIFACTS, shot

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]
C = CardStatus


def drag(page, source: str, target: str) -> None:  # type: ignore[no-untyped-def]
    start = page.locator(source).bounding_box()
    end = page.locator(target).bounding_box()
    x, y = start["x"] + start["width"] / 2, start["y"] + 12
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 8, y + 8, steps=4)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=20)
    page.mouse.up()


def open_board(page, code: str, *, unfold: bool = True):  # type: ignore[no-untyped-def]
    page.goto(f"/boards/{code}/")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live", timeout=5000)
    expect(page.locator("#board.is-refreshing")).to_have_count(0)  # the catch-up fetch is done
    if unfold:  # lanes with nothing to make start folded; these tests work their full cards
        for toggle in page.locator(".lane.collapsed .lane-toggle").all():
            toggle.click()
        expect(page.locator(".lane.collapsed")).to_have_count(0)
        expect(page.locator(".lane[data-deferred]")).to_have_count(0)  # their cards came
    page.evaluate("window.pbSameDocument = true")  # gone if the page reloads
    return page


def test_a_dragged_card_arrives_live_on_another_board(asgi_server, login, plant, operator, planner):  # type: ignore[no-untyped-def]
    mover = open_board(login(asgi_server, "olga", has_touch=True), "assembly")
    watcher = open_board(login(asgi_server, "pete"), "assembly")
    card = plant.finished_loop.cards.get(number=1)
    lane = f"[data-lane='{plant.finished.pk}']"

    drag(mover, f"#card-{card.pk} .card-title", f".cell[data-status=empty]{lane}")
    # The server's answer: the card is empty and now offers "Start".
    expect(mover.locator(f".cell[data-status=empty] #move-{card.pk}-in_process")).to_be_visible()
    expect(mover.locator("#board-status")).to_contain_text("moved to empty")
    seen_by_mover = time.monotonic()
    expect(watcher.locator(f".cell[data-status=empty] #card-{card.pk}")).to_be_visible(timeout=1000)
    arrival = time.monotonic() - seen_by_mover
    assert watcher.evaluate("window.pbSameDocument") is True  # no reload
    shot(mover, "board-after-drag")
    shot(watcher, "board-second-browser-live")
    card.refresh_from_db()
    assert card.status == C.EMPTY and card.work_order_id is not None
    assert arrival < 1.0

    # A change made outside any browser (API, demand) arrives the same way.
    other = plant.finished_loop.cards.get(number=2)
    card_move(card_id=other.pk, to=C.IN_USE, actor_id=None, source="api")
    expect(watcher.locator(f".cell[data-status=in_use] #card-{other.pk}")).to_be_visible(
        timeout=1000
    )
    demand_record(product=plant.finished, quantity=Decimal("5"), external_id="e2e-1")
    demand_process_pending()
    expect(watcher.locator(f".cell[data-status=empty] #card-{other.pk}")).to_be_visible(
        timeout=1000
    )
    assert watcher.evaluate("window.pbSameDocument") is True


def test_a_live_change_is_swapped_in_without_fetching_the_board_and_stays_usable(  # type: ignore[no-untyped-def]
    asgi_server, login, plant, operator
):
    watcher = open_board(login(asgi_server, "olga"), "assembly")
    fetches: list[str] = []
    watcher.on(
        "request",
        lambda request: fetches.append(request.url) if "/columns/" in request.url else None,
    )
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=None, source="api")
    expect(watcher.locator(f".cell[data-status=empty] #card-{card.pk}")).to_be_visible(timeout=2000)
    assert fetches == []  # the swimlane came with the change itself
    assert watcher.evaluate("window.pbSameDocument") is True
    # The swapped-in lane works like the rest: its card starts by its button.
    watcher.click(f"#move-{card.pk}-in_process")
    expect(watcher.locator(f".cell[data-status=in_process] #card-{card.pk}")).to_be_visible()
    card.refresh_from_db()
    assert card.status == C.IN_PROCESS


def test_a_stale_move_is_refused_with_why_and_shows_the_card_where_it_is(
    asgi_server, login, plant, operator
):  # type: ignore[no-untyped-def]
    page = open_board(login(asgi_server, "olga"), "assembly")
    card = plant.finished_loop.cards.get(number=1)
    # Someone else moved the card, and this board has not heard of it yet.
    KanbanCard.objects.filter(pk=card.pk).update(status=C.IN_USE, version=F("version") + 1)
    page.click(f"#move-{card.pk}-empty")
    page.click("#empty-confirm")  # marking a full container empty asks first
    # Why, on the card itself where the eye is (not only at the top of the page).
    reason = page.locator(f".cell[data-status=in_use] #card-{card.pk} .refusal")
    expect(reason).to_be_visible()
    expect(reason).to_contain_text("was moved by someone else: it is now in use")
    expect(reason).to_be_in_viewport()
    shot(page, "board-refused-move")
    assert KanbanCard.objects.get(pk=card.pk).status == C.IN_USE


def test_wip_override_by_keyboard_asks_for_a_reason(asgi_server, login, plant, operator):  # type: ignore[no-untyped-def]
    cards = list(plant.finished_loop.cards.order_by("number"))
    for card in cards:
        card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)
    for card in cards[:2]:
        card_move(card_id=card.pk, to=C.IN_PROCESS, actor_id=None)
    third = cards[2]
    page = open_board(login(asgi_server, "olga"), "assembly")
    expect(page.locator(".wip")).to_contain_text("WIP 2 / 2")
    page.focus(f"#move-{third.pk}-in_process")
    page.keyboard.press("Enter")
    dialog = page.locator("#wip-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("WIP limit 2")
    expect(page.locator("#wip-reason")).to_be_focused()
    shot(page, "board-wip-dialog")
    page.keyboard.type("Rush order for the Friday truck")
    page.click("#wip-confirm")
    expect(page.locator(f".cell[data-status=in_process] #card-{third.pk}")).to_be_visible()
    expect(page.locator(f"#card-{third.pk}")).to_be_focused()  # focus follows the card
    expect(page.locator(".wip")).to_contain_text("WIP 3 / 2")
    event = CardEvent.objects.filter(card=third).latest("id")
    assert event.wip_override and event.reason == "Rush order for the Friday truck"
    shot(page, "board-after-wip-override")


def test_scan_page_signals_ignores_a_repeat_and_explains_errors(
    asgi_server, login, plant, operator
):  # type: ignore[no-untyped-def]
    page = login(asgi_server, "olga")
    page.goto("/scan/")
    card = plant.finished_loop.cards.get(number=2)
    field = page.locator("input[name=code]")
    expect(field).to_be_focused()
    page.keyboard.type(f"PB-CARD:{card.pk}\n")  # what a USB scanner sends
    result = page.locator("#scan-result")
    expect(result).to_contain_text("F-100 card 2: empty (to make)")
    expect(result).to_have_class(re.compile(r"\bscan-ok\b"))
    expect(field).to_be_focused()
    expect(field).to_have_value("")
    shot(page, "scan-signal")
    page.keyboard.type(f"PB-CARD:{card.pk}\n")
    expect(result).to_contain_text("Already scanned")
    expect(result).to_have_class(re.compile(r"\bscan-repeat\b"))
    page.keyboard.type("PB-CARD:999999\n")
    expect(result).to_contain_text("No card has the code PB-CARD:999999")
    expect(result).to_have_class(re.compile(r"\bscan-error\b"))
    shot(page, "scan-unknown")
    assert KanbanCard.objects.get(pk=card.pk).status == C.EMPTY


def test_print_view_lays_out_cards_with_readable_qr_codes(asgi_server, login, plant, operator):  # type: ignore[no-untyped-def]
    page = login(asgi_server, "olga")
    page.goto("/cards/print/?line=fab&paper=a4")
    expect(page.locator(".print-card")).to_have_count(4)
    widths = page.eval_on_selector_all(
        ".print-card img.qr", "imgs => imgs.map(i => i.naturalWidth)"
    )
    assert len(widths) == 4 and all(w > 0 for w in widths)
    shot(page, "print-view")
    page.emulate_media(media="print")
    page.pdf(path=str(ARTIFACTS / "cards-a4.pdf"), prefer_css_page_size=True)
    assert (ARTIFACTS / "cards-a4.pdf").stat().st_size > 1000


def test_a_board_whose_stream_is_blocked_still_catches_up_by_polling(
    asgi_server, login, plant, operator
):  # type: ignore[no-untyped-def]
    page = login(asgi_server, "olga")
    page.route("**/events/", lambda route: route.abort())  # a proxy that blocks the stream
    page.goto("/boards/assembly/")
    expect(page.locator("#live-state")).not_to_have_attribute("data-state", "live")
    page.evaluate("window.pbSameDocument = true")
    card = plant.finished_loop.cards.get(number=3)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=None, source="api")
    # The conditional poll runs every 15 s.
    expect(page.locator(f".cell[data-status=empty] #card-{card.pk}")).to_be_visible(timeout=17000)
    assert page.evaluate("window.pbSameDocument") is True
    shot(page, "board-polling-fallback")


def touch_drag(page, source: str, target: str) -> None:  # type: ignore[no-untyped-def]
    """A finger: press, hold past the board's touch delay, slide, lift (CDP touch events)."""
    cdp = page.context.new_cdp_session(page)
    start = page.locator(source).bounding_box()
    end = page.locator(target).bounding_box()
    x, y = start["x"] + start["width"] / 2, start["y"] + 12
    tx, ty = end["x"] + end["width"] / 2, end["y"] + end["height"] / 2

    def touch(kind: str, px: float, py: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": px, "y": py}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", x, y)
    page.wait_for_timeout(300)  # longer than the 150 ms hold that tells a drag from a scroll
    for step in range(1, 21):
        touch("touchMove", x + (tx - x) * step / 20, y + (ty - y) * step / 20)
        page.wait_for_timeout(15)
    touch("touchEnd", tx, ty)


def test_a_card_moves_by_touch_on_a_tablet(asgi_server, login, plant, operator):  # type: ignore[no-untyped-def]
    page = open_board(login(asgi_server, "olga", has_touch=True, is_mobile=True), "assembly")
    card = plant.finished_loop.cards.get(number=2)
    lane = f"[data-lane='{plant.finished.pk}']"
    touch_drag(page, f"#card-{card.pk} .card-title", f".cell[data-status=in_use]{lane}")
    # The server's answer, not the dragged element: the card is rendered as in use.
    expect(page.locator(f".cell[data-status=in_use] #card-{card.pk}.status-in_use")).to_be_visible()
    shot(page, "board-touch-drag")
    assert KanbanCard.objects.get(pk=card.pk).status == C.IN_USE


def test_a_board_catches_up_as_soon_as_its_stream_reconnects(asgi_server, login, plant, operator):  # type: ignore[no-untyped-def]
    page = login(asgi_server, "olga")
    page.route("**/events/", lambda route: route.abort())  # the connection is down
    page.goto("/boards/assembly/")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "reconnecting")
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=None, source="api")  # missed: no stream
    page.unroute("**/events/")  # back: the browser reconnects by itself
    started = time.monotonic()
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live", timeout=8000)
    expect(page.locator(f".cell[data-status=empty] #card-{card.pk}")).to_be_visible(timeout=2000)
    # Well before the 15 s poll: the catch-up on reconnect brought the missed change.
    assert time.monotonic() - started < 10
