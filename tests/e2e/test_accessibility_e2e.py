"""axe-core (axe-playwright-python, which bundles it: nothing is fetched) on every
shop-floor page, in Chromium on a touch tablet, with the WCAG 2.0, 2.1 and 2.2 A and AA
rules on: no critical or serious violation. Screenshots land in test-artifacts/."""

from __future__ import annotations

import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from kanban.models import CardStatus
from kanban.services import card_move
from tests.e2e.conftest import ARTIFACTS, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
C = CardStatus
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING = ("critical", "serious")


def assert_accessible(page, name: str) -> None:  # type: ignore[no-untyped-def]
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]},
    )
    shot(page, f"axe-{name}")
    violations = results.response["violations"]
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(violations, indent=2))
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in violations
        if v["impact"] in BLOCKING
    ]
    assert blocking == [], "\n".join(blocking)


def _scan_page_with_results(page, plant) -> None:  # type: ignore[no-untyped-def]
    page.goto("/scan/")
    card = plant.finished_loop.cards.get(number=1)
    page.keyboard.type(f"PB-CARD:{card.pk}\n")
    expect(page.locator("#scan-result.scan-ok")).to_be_visible()
    page.keyboard.type("PB-CARD:999999\n")
    expect(page.locator("#scan-result.scan-error")).to_be_visible()


def _scan_page_at_the_wip_limit(page, plant) -> None:  # type: ignore[no-untyped-def]
    cards = list(plant.finished_loop.cards.order_by("number"))
    for card in cards:
        card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)
    for card in cards[:2]:
        card_move(card_id=card.pk, to=C.IN_PROCESS, actor_id=None)
    page.goto("/scan/")
    page.keyboard.type(f"PB-CARD:{cards[2].pk}\n")
    expect(page.locator("#scan-override-reason")).to_be_visible()


def _scan_page_offline(page, plant) -> None:  # type: ignore[no-untyped-def]
    page.goto("/scan/")
    page.context.set_offline(True)
    page.keyboard.type(f"PB-CARD:{plant.finished_loop.cards.get(number=2).pk}\n")
    expect(page.locator("#offline-queue")).to_be_visible()


def _card_page(page, plant) -> None:  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)  # a history to show
    page.goto(f"/cards/{card.pk}/")


def _board_with_a_lane_open(page, plant) -> None:  # type: ignore[no-untyped-def]
    page.goto("/boards/assembly/")
    page.locator(f"#lane-section-{plant.finished.pk} .lane-toggle").tap()
    expect(page.locator(f"#lane-section-{plant.finished.pk} .card").first).to_be_visible()


def _card_count(page, plant, *, close: bool) -> None:  # type: ignore[no-untyped-def]
    from kanban.codes import card_code
    from kanban.inventory.services import card_count_close, card_count_scan, card_count_start

    count = card_count_start(line=plant.assembly, actor_id=None)
    for card in (plant.finished_loop.cards.get(number=1), plant.component_loop.cards.first()):
        card_count_scan(count_id=count.pk, code=card_code(card.pk), actor_id=None)
    if close:
        card_count_close(count_id=count.pk, actor_id=None)
    page.goto(f"/cards/counts/{count.pk}/")


def _card_count_open(page, plant) -> None:  # type: ignore[no-untyped-def]
    _card_count(page, plant, close=False)


def _card_count_result(page, plant) -> None:  # type: ignore[no-untyped-def]
    _card_count(page, plant, close=True)


def _purchased_parts(plant, *, late: bool) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from kanban.services import loop_create
    from production.supply.models import Supplier
    from production.supply.services.late import replenishment_mark_late
    from tests.factories import LocationFactory, ProductFactory

    acme = Supplier.objects.create(code="acme", name="ACME", lead_time_days=Decimal("2"))
    part = ProductFactory(sku="BUY-1", line=None, supermarket=LocationFactory(code="sm-buy"))
    loop = loop_create(product=part, card_count=2, source="supplier", supplier=acme)
    card_move(card_id=loop.cards.get(number=1).pk, to=C.EMPTY, actor_id=None)
    if late:
        replenishment_mark_late(now=timezone.now() + timedelta(days=3))


def _boards_with_purchased_parts(page, plant) -> None:  # type: ignore[no-untyped-def]
    _purchased_parts(plant, late=True)
    page.goto("/boards/")
    expect(page.locator("#purchased-parts")).to_be_visible()


def _replenishment_of_purchased_parts(page, plant) -> None:  # type: ignore[no-untyped-def]
    _purchased_parts(plant, late=True)
    page.goto("/replenishment/?purchased=1")
    expect(page.locator("#call-offs")).to_be_visible()


PAGES = {
    "home": ("olga", "/", None),
    "boards": ("olga", "/boards/", None),
    "boards-purchased-parts": ("olga", _boards_with_purchased_parts, None),
    "replenishment-purchased-parts": ("olga", _replenishment_of_purchased_parts, None),
    "board": ("olga", "/boards/assembly/", None),
    "board-de": ("olga", "/boards/assembly/", "de"),
    "board-lane-open": ("olga", _board_with_a_lane_open, None),
    "card-detail": ("olga", _card_page, None),
    "card-detail-planner": ("pete", _card_page, None),
    "signals": ("olga", "/signals/", None),
    "scan": ("olga", "/scan/", None),
    "scan-results": ("olga", _scan_page_with_results, None),
    "scan-wip-limit": ("olga", _scan_page_at_the_wip_limit, None),
    "scan-offline": ("olga", _scan_page_offline, None),
    "scan-es": ("olga", "/scan/", "es"),
    "print": ("olga", "/cards/print/?line=assembly", None),
    "lost-cards": ("pete", "/cards/lost/?days=1", None),
    "card-counts": ("pete", "/cards/counts/", None),
    "card-count-open": ("pete", _card_count_open, None),
    "card-count-open-operator": ("olga", _card_count_open, None),
    "card-count-result": ("pete", _card_count_result, None),
    "not-found": ("olga", "/boards/no-such-line/", None),
    "not-for-your-role": ("olga", "/cards/lost/", None),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_shop_floor_pages_have_no_serious_accessibility_violation(  # type: ignore[no-untyped-def]
    asgi_server, login, plant, operator, planner, name
):
    user, target, language = PAGES[name]
    extra = {"locale": language} if language else {}
    page = login(asgi_server, user, has_touch=True, **extra)
    if callable(target):
        target(page, plant)
    else:
        page.goto(target)
    if language:
        expect(page.locator("html")).to_have_attribute("lang", language)
    assert_accessible(page, name)


def test_the_login_page_has_no_serious_accessibility_violation(asgi_server, browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=asgi_server, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto("/login/")
        assert_accessible(page, "login")
    finally:
        context.close()


def test_the_check_fails_on_a_serious_violation(asgi_server, browser):  # type: ignore[no-untyped-def]
    """The check itself: a field without a label and grey-on-white text are caught."""
    context = browser.new_context(base_url=asgi_server, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto("/login/")
        page.evaluate(
            """() => {
                const field = document.createElement("input");
                document.querySelector("main").appendChild(field);
                const faint = document.createElement("p");
                faint.textContent = "faint";
                faint.style.color = "#ddd";
                document.querySelector("main").appendChild(faint);
            }"""
        )
        with pytest.raises(AssertionError) as caught:
            assert_accessible(page, "self-check")
        assert "label" in str(caught.value) and "color-contrast" in str(caught.value)
    finally:
        context.close()
