"""The board as a shift runs it, on a touch tablet: what to make first is on the first
screen, quiet lanes fold, a product can be found, and a push line's work orders are
started and finished from the board. Screenshots land in test-artifacts/."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from production.models import LineMode, WorkOrder, WorkOrderOrigin, WorkOrderStatus
from production.services import line_switch_mode, work_order_create, work_order_release
from tests.e2e.conftest import shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _tablet(login, url: str):  # type: ignore[no-untyped-def]
    """A 10-inch tablet held landscape: touch, 1280 x 800 (the login fixture's viewport)."""
    return login(url, "olga", has_touch=True)


def test_on_the_demo_the_first_card_to_make_is_on_the_first_screen(asgi_server, login, operator):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Group

    for role in ("operator", "planner", "integration"):  # an earlier test's flush removed them
        Group.objects.get_or_create(name=role)
    call_command("seed_demo", stdout=io.StringIO())
    page = _tablet(login, asgi_server)
    page.goto("/boards/asm-pumps/")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live", timeout=5000)
    first = page.locator(".cell[data-status=empty] .card").first
    expect(first).to_be_visible()
    box = first.bounding_box()
    assert box is not None and box["y"] + 60 <= 800, box  # its title and facts, unscrolled
    # It is in the board's first lane: the most urgent product comes first.
    first_lane = page.locator(".lane").first
    expect(first_lane.locator(".cell[data-status=empty] .card").first).to_have_id(
        first.get_attribute("id") or ""
    )
    shot(page, "board-demo-first-screen")

    # Quiet lanes are folded, and open on a tap.
    folded = page.locator(".lane.collapsed")
    if folded.count():
        lane = page.locator(f"#{folded.first.get_attribute('id')}")
        expect(lane.locator(".cell").first).to_be_hidden()
        lane.locator(".lane-toggle").tap()
        expect(lane.locator(".cell").first).to_be_visible()
        expect(lane.locator(".lane-toggle")).to_have_attribute("aria-expanded", "true")

    # Find a product: only its lane is left.
    sku = page.locator(".lane").nth(1).get_attribute("data-sku") or ""
    page.fill("#board-filter", sku.lower())
    expect(page.locator(".lane:visible")).to_have_count(1)
    expect(page.locator(".lane:visible")).to_have_attribute("data-sku", sku)
    assert f"product={sku.lower()}" in page.url
    shot(page, "board-demo-filtered")
    page.fill("#board-filter", "")
    expect(page.locator(".lane[hidden]")).to_have_count(0)


def test_an_operator_starts_and_finishes_a_push_work_order_from_the_board(  # type: ignore[no-untyped-def]
    asgi_server, login, plant, operator
):
    line_switch_mode(line=plant.assembly, mode=LineMode.PUSH, reason="trial", actor_id=None)
    order = work_order_create(
        product=plant.finished,
        quantity=Decimal("5"),
        origin=WorkOrderOrigin.PUSH,
        due_at=timezone.now() + timedelta(hours=3),
    )
    work_order_release(work_order_id=order.pk)
    page = _tablet(login, asgi_server)
    page.goto("/boards/assembly/")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live", timeout=5000)
    card = page.locator(f"#order-{order.pk}")
    expect(card).to_contain_text("5 pcs")
    expect(card).to_contain_text("Due")
    expect(card).to_be_in_viewport()
    shot(page, "board-push-orders")
    page.locator(f"#order-{order.pk}-start").tap()
    expect(page.locator(f"#order-{order.pk}-finish")).to_be_visible()
    expect(page.locator("#board-status")).to_contain_text(f"WO-{order.pk}")
    assert WorkOrder.objects.get(pk=order.pk).status == WorkOrderStatus.IN_PROGRESS
    page.locator(f"#order-{order.pk}-finish").tap()
    expect(page.locator(f"#order-{order.pk}.status-done")).to_be_visible()
    expect(page.locator(f"#order-{order.pk} button")).to_have_count(0)
    shot(page, "board-push-order-done")
    assert WorkOrder.objects.get(pk=order.pk).status == WorkOrderStatus.DONE


def test_a_card_put_on_hold_from_its_page_raises_no_signal_and_says_why(  # type: ignore[no-untyped-def]
    asgi_server, login, plant, operator
):
    from kanban.models import KanbanCard, PullSignal
    from production.services import demand_process_pending, demand_record

    first = plant.finished_loop.cards.order_by("status_changed_at", "number").first()
    page = _tablet(login, asgi_server)
    page.goto("/boards/assembly/")
    page.locator(f"#lane-section-{plant.finished.pk} .lane-toggle").tap()
    page.locator(f"#card-{first.pk} a.card-no").tap()  # the card's own page
    page.select_option("#id_reason", "machine_down")
    page.fill("#id_note", "press 4 jammed")
    page.locator("#hold-card").tap()
    expect(page.locator("#card-hold")).to_contain_text("Machine down: press 4 jammed")
    shot(page, "card-page-on-hold")
    demand_record(product=plant.finished, quantity=Decimal("5"), external_id="e2e-hold")
    demand_process_pending()  # its container is used up while it is held
    page.goto("/boards/assembly/")
    held = page.locator(f".cell[data-status=empty] #card-{first.pk}")
    expect(held).to_contain_text("On hold: Machine down (press 4 jammed)")
    expect(held.locator("button")).to_have_count(0)  # nothing to start while held
    assert not PullSignal.objects.filter(card=first).exists()
    shot(page, "board-card-on-hold")
    page.locator(f"#card-{first.pk} a.card-no").tap()
    page.locator("#release-card").tap()
    expect(page.locator("#card-hold")).to_contain_text("not on hold")
    expect(page.locator("#card-history")).to_contain_text("Card released")
    assert PullSignal.objects.filter(card=first).count() == 1
    assert KanbanCard.objects.get(pk=first.pk).work_order_id is not None


def test_mark_empty_asks_first_and_can_be_undone(asgi_server, login, plant, operator):  # type: ignore[no-untyped-def]
    from kanban.models import CardStatus, KanbanCard

    card = plant.finished_loop.cards.get(number=1)
    page = _tablet(login, asgi_server)
    page.goto("/boards/assembly/")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live", timeout=5000)
    page.locator(f"#lane-section-{plant.finished.pk} .lane-toggle").tap()
    page.locator(f"#move-{card.pk}-empty").tap()
    dialog = page.locator("#empty-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("F-100 #1")
    shot(page, "board-mark-empty-confirm")
    page.locator("#empty-cancel").tap()  # a slip of the finger: nothing happens
    expect(dialog).to_be_hidden()
    assert KanbanCard.objects.get(pk=card.pk).status == CardStatus.FULL
    page.locator(f"#move-{card.pk}-empty").tap()
    page.locator("#empty-confirm").tap()
    undo = page.locator(f"#undo-{card.pk}")
    expect(undo).to_be_visible()
    expect(page.locator(f".cell[data-status=empty] #card-{card.pk}")).to_be_in_viewport()
    assert KanbanCard.objects.get(pk=card.pk).status == CardStatus.EMPTY
    shot(page, "board-mark-empty-undo")
    undo.tap()
    expect(page.locator(f".cell[data-status=full] #card-{card.pk}")).to_be_visible()
    expect(page.locator("#board-status")).to_contain_text("put back")
    assert KanbanCard.objects.get(pk=card.pk).status == CardStatus.FULL


def test_an_expired_session_logs_in_back_to_the_board_and_says_the_move_was_not_made(  # type: ignore[no-untyped-def]
    asgi_server, login, plant, operator
):
    from kanban.models import CardStatus, KanbanCard
    from tests.e2e.conftest import PASSWORD

    card = plant.finished_loop.cards.get(number=2)
    page = _tablet(login, asgi_server)
    page.goto("/boards/assembly/")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live", timeout=5000)
    page.locator(f"#lane-section-{plant.finished.pk} .lane-toggle").tap()
    expect(page.locator(f"#move-{card.pk}-in_use")).to_be_visible()  # the folded lane's cards came
    page.context.clear_cookies()  # the session is gone (expired, logged out elsewhere)
    page.locator(f"#move-{card.pk}-in_use").tap()
    page.wait_for_url("**/login/?next=%2Fboards%2Fassembly%2F")
    page.fill("input[name=username]", "olga")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")  # not the language picker's
    page.wait_for_url("**/boards/assembly/")
    note = page.locator(f"#card-{card.pk} .refusal")
    expect(note).to_contain_text("session had ended, so this move was not made")
    expect(note).to_be_in_viewport()
    shot(page, "board-session-ended")
    assert KanbanCard.objects.get(pk=card.pk).status == CardStatus.FULL


def test_new_work_is_seen_and_the_board_reads_from_a_metre_away(  # type: ignore[no-untyped-def]
    asgi_server, login, plant, operator
):
    from kanban.models import CardStatus, KanbanCard
    from kanban.services import card_move

    page = _tablet(login, asgi_server)
    page.goto("/boards/assembly/")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live", timeout=5000)
    card = plant.finished_loop.cards.get(number=3)
    card_move(card_id=card.pk, to=CardStatus.EMPTY, actor_id=None, source="api")  # a new signal
    fresh = page.locator(f".cell[data-status=empty] #card-{card.pk}")
    expect(fresh).to_have_class(re.compile(r"\bis-new\b"), timeout=3000)
    expect(page.locator("#col-empty .count")).to_have_text("1")  # the column count, live
    shot(page, "board-new-signal")

    # Keys: Tab reaches the card, S starts it.
    fresh.focus()
    page.keyboard.press("s")
    expect(page.locator(f".cell[data-status=in_process] #card-{card.pk}")).to_be_visible()
    assert KanbanCard.objects.get(pk=card.pk).status == CardStatus.IN_PROCESS
    expect(page.locator(".shortcuts summary")).to_be_visible()

    # Codes never break; nav targets are 44 px or more on touch; the dark theme toggles.
    sku = page.locator(f"#card-{card.pk} .card-sku")
    assert sku.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
    heights = page.eval_on_selector_all(
        ".topbar a", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 44, heights
    page.locator("#theme-toggle").tap()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    shot(page, "board-dark")

    # Wall display: large type, no buttons.
    page.goto("/boards/assembly/?wall=1")
    expect(page.locator("#board.wall")).to_be_visible()
    expect(page.locator(".card-moves button:visible")).to_have_count(0)
    shot(page, "board-wall-display")
