"""A supplier on a touch tablet confirms and ships its call-off on its own board, and the
plant's operator receives it by scanning the card on the scan page (the card going full
receives the call-off), in a real browser. The supplier's board passes axe-core too."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from kanban.models import CardStatus
from kanban.services import card_move, loop_create
from production.models import StockLevel
from production.supply.models import CallOff
from tests.e2e.conftest import shot
from tests.e2e.test_accessibility_e2e import assert_accessible
from tests.factories import LocationFactory, ProductFactory, UserFactory
from tests.supplier.conftest import make_supplier, supplier_login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TABLET = {"has_touch": True}


@pytest.fixture(scope="module", autouse=True)
def _no_repeat_window() -> Iterator[None]:
    """The card is scanned twice in a row on purpose (on its way, then received)."""
    os.environ["PULLBOARD_SCAN_REPEAT_WINDOW_SECONDS"] = "0"
    yield
    del os.environ["PULLBOARD_SCAN_REPEAT_WINDOW_SECONDS"]


def test_a_supplier_confirms_and_ships_and_the_plant_receives_by_scan(  # type: ignore[no-untyped-def]
    asgi_server, login
):
    acme = make_supplier("acme", name="Acme Castings")
    bolt = make_supplier("bolt", name="Bolt & Nut")
    supplier_login("sam", acme)
    UserFactory(username="olga", roles=["operator"])
    store = LocationFactory(code="sm-buy", name="Bought-in store")
    part = ProductFactory(
        sku="P-200", name="Cast housing", line=None, supermarket=store,
        container_quantity=Decimal("10"),
    )  # fmt: skip
    nut = ProductFactory(sku="P-300", line=None, supermarket=store)
    loop = loop_create(product=part, card_count=2, source="supplier", supplier=acme)
    other = loop_create(product=nut, card_count=1, source="supplier", supplier=bolt)
    card = loop.cards.order_by("number").first()
    card_move(card_id=card.pk, to=CardStatus.EMPTY, actor_id=None)  # the pull signal
    card_move(card_id=other.cards.get().pk, to=CardStatus.EMPTY, actor_id=None)
    card.refresh_from_db()
    call_off = CallOff.objects.get(pk=card.call_off_id)
    theirs = CallOff.objects.exclude(pk=call_off.pk).get()

    page = login(asgi_server, "sam", **TABLET)
    expect(page).to_have_url(f"{asgi_server}/supplier/")  # a supplier lands on its board
    to_confirm = page.locator("section[data-status=open]")
    expect(to_confirm.locator(f"#call-off-{call_off.pk}")).to_contain_text("P-200")
    expect(page.locator(f"#call-off-{theirs.pk}")).to_have_count(0)  # another supplier's
    expect(page.locator("main")).not_to_contain_text("P-300")
    assert_accessible(page, "supplier-board")
    shot(page, "supplier-board-to-confirm")

    page.get_by_role("button", name=f"Confirm CO-{call_off.pk}").tap()
    expect(page.locator(".messages")).to_contain_text(f"Call-off CO-{call_off.pk} confirmed.")
    expect(page.locator(f"section[data-status=confirmed] #call-off-{call_off.pk}")).to_be_visible()
    page.get_by_role("button", name=f"Mark CO-{call_off.pk} shipped").tap()
    expect(page.locator(f"section[data-status=shipped] #call-off-{call_off.pk}")).to_be_visible()
    shot(page, "supplier-board-shipped")
    call_off.refresh_from_db()
    assert call_off.status == "shipped"
    assert list(call_off.events.values_list("to_status", flat=True)) == [
        "open", "confirmed", "shipped",
    ]  # fmt: skip
    page.goto("/boards/")  # nothing else of the plant
    expect(page.locator("main")).to_contain_text("This page is for")

    scanner = login(asgi_server, "olga", **TABLET)
    scanner.goto("/scan/")
    scanner.locator("input[name=mode][value=next]").check()
    before = StockLevel.objects.get(product=part, location=store).on_hand
    scans = scanner.locator("#scan-recent li")
    scanner.keyboard.type(f"PB-CARD:{card.pk}\n")  # empty -> on its way (in process)
    expect(scans).to_have_count(1)
    expect(scans.first).to_contain_text("Applied")
    scanner.keyboard.type(f"PB-CARD:{card.pk}\n")  # in process -> full: received
    expect(scans).to_have_count(2)
    expect(scans.first).to_contain_text("Applied")
    shot(scanner, "supplier-call-off-received-by-scan")
    card.refresh_from_db()
    call_off.refresh_from_db()
    assert card.status == CardStatus.FULL
    assert (call_off.status, call_off.received_quantity) == ("received", Decimal("10"))
    after = StockLevel.objects.get(product=part, location=store).on_hand
    assert after - before == Decimal("10")

    page.goto("/supplier/")  # received: no longer the supplier's to work on
    expect(page.locator(f"#call-off-{call_off.pk}")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("No open call-offs")
