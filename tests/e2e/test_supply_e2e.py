"""A supplier card received by scan in a real browser, and the replenishment page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from kanban.models import KanbanCard
from production.models import StockLevel
from production.services import stock_adjust
from production.supply.models import CallOff
from tests.e2e.conftest import shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
D = Decimal


@pytest.fixture(scope="module", autouse=True)
def _no_repeat_window() -> Iterator[None]:
    """Two scans of one card in a row, a moment apart: no repeat window on this server."""
    os.environ["PULLBOARD_SCAN_REPEAT_WINDOW_SECONDS"] = "0"
    yield
    del os.environ["PULLBOARD_SCAN_REPEAT_WINDOW_SECONDS"]


def test_a_call_off_is_received_by_scanning_its_card(asgi_server, login, chain, operator):  # type: ignore[no-untyped-def]
    stock_adjust(
        product=chain.part, location=chain.warehouse, delta=D("-10"), reason="scrap", actor_id=None
    )
    call_off = CallOff.objects.get()
    card = KanbanCard.objects.get(call_off=call_off)
    page = login(asgi_server, "olga", has_touch=True)

    page.goto("/replenishment/")
    row = page.locator(f"#call-off-{call_off.pk}")
    expect(row).to_contain_text("Acme Fasteners")
    expect(row).to_contain_text("Open")

    page.goto("/scan/")
    result = page.locator("#scan-result")
    page.keyboard.type(f"PB-CARD:{card.pk}\n")  # on its way
    expect(result).to_contain_text("P-200 card 1: in process")
    page.keyboard.type(f"PB-CARD:{card.pk}\n")  # at the dock: received full
    expect(result).to_contain_text("P-200 card 1: full")
    shot(page, "supply-scan-received")

    call_off.refresh_from_db()
    assert (call_off.status, call_off.received_quantity) == ("received", D("10"))
    card.refresh_from_db()
    assert card.status == "full"
    assert StockLevel.objects.get(product=chain.part, location=chain.warehouse).on_hand == D("20")
    page.goto("/replenishment/")
    expect(page.locator("#call-offs")).to_have_count(0)
    expect(page.get_by_text("No call-off is open.")).to_be_visible()
