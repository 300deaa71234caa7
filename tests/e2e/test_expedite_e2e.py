"""An expedite (manual) order on a pull line's board, in a real browser: marked, listed
first, started and finished from the board like a push order."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from production.models import WorkOrder, WorkOrderStatus
from production.services.work_orders import work_order_expedite
from tests.e2e.conftest import shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_operator_sees_an_expedite_order_and_runs_it_from_the_board(  # type: ignore[no-untyped-def]
    asgi_server, login, plant, operator
):
    order = work_order_expedite(
        product=plant.finished,
        quantity=Decimal("7"),
        due_at=timezone.now() + timedelta(hours=2),
        reason="customer rush",
    )
    page = login(asgi_server, "olga", has_touch=True)
    page.goto("/boards/assembly/")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live", timeout=5000)
    card = page.locator(f"#order-{order.pk}.expedite")
    expect(card).to_contain_text("Expedite")
    expect(card).to_contain_text("7 pcs")
    expect(card).to_be_in_viewport()
    shot(page, "board-expedite-order")
    page.locator(f"#order-{order.pk}-start").tap()
    expect(page.locator(f"#order-{order.pk}-finish")).to_be_visible()
    assert WorkOrder.objects.get(pk=order.pk).status == WorkOrderStatus.IN_PROGRESS
    page.locator(f"#order-{order.pk}-finish").tap()
    expect(page.locator(f"#order-{order.pk}.status-done")).to_be_visible()
    assert WorkOrder.objects.get(pk=order.pk).status == WorkOrderStatus.DONE
