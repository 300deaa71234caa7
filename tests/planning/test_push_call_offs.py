"""A push line's plan calls off its purchased components from the same MRP run as its
work orders: the components are netted from the parents' planned lots through the BOM,
against their stock at the supplier loop, open call-offs and other drafts, and the plan's
release opens one call-off per lot to the loop's supplier."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings

from kanban.services import loop_create
from production.models import LineMode, WorkOrder
from production.planning.models import PushPlanLine, PushPlanStatus
from production.planning.services import call_offs as call_off_planning
from production.planning.services.push import (
    push_plan_discard,
    push_plan_draft,
    push_plan_release,
    push_plan_run,
)
from production.supply.models import CallOff, CallOffStatus, Supplier
from tests.factories import BomLineFactory, LineFactory, LocationFactory, ProductFactory
from tests.planning.test_push import TODAY, forecast_for
from tests.test_races import run_in_threads
from tests.test_races_shared_rules import slowed

D = Decimal


def _bolt() -> tuple[Any, Supplier]:
    """P-200, bought from acme (2 days), with a supplier loop of 2 cards of 10 at the
    warehouse: 20 on hand."""
    supplier = Supplier.objects.create(
        code="acme", name="Acme Fasteners", lead_time_days=D("2"), email="orders@acme.test"
    )
    warehouse = LocationFactory(code="wh", kind="warehouse")
    bolt = ProductFactory(sku="P-200", line=None, supermarket=warehouse, container_quantity=D("10"))
    loop_create(product=bolt, card_count=2, source="supplier", supplier=supplier)
    return bolt, supplier


def _push_line(code: str, sku: str, bolt: Any) -> Any:
    """A push line making `sku` (10 a day forecast, 1 day lead: 20 a period), 3 bolts each."""
    line = LineFactory(code=code, mode=LineMode.PUSH, capacity_per_day=D("1000"))
    made = ProductFactory(sku=sku, line=line, lead_time_days=D("1"), lot_sizing="lot_for_lot")
    BomLineFactory(parent=made, component=bolt, quantity=D("3"))
    forecast_for(made, per_day=10)
    return line


@pytest.mark.django_db
def test_one_run_releases_the_work_orders_and_the_call_offs() -> None:
    bolt, supplier = _bolt()
    line = _push_line("asm", "F-1", bolt)
    plan = push_plan_run(line=line, period_start=TODAY)
    assert dict(WorkOrder.objects.values_list("product__sku", "quantity")) == {"F-1": D("20")}
    # 60 bolts for the 20 planned, less 20 on hand: 40, in containers of 10.
    call_off = CallOff.objects.get()
    assert (call_off.product, call_off.supplier, call_off.quantity) == (bolt, supplier, D("40"))
    assert call_off.location.code == "wh" and call_off.status == CallOffStatus.OPEN
    row = plan.lines.get(product=bolt)
    assert row.call_off == call_off and row.work_order is None
    assert row.explanation["replenished_by"] == "call_off"
    assert row.explanation["supplier"] == "acme"
    assert row.explanation["dependent_demand"] == 60.0
    assert row.explanation["on_hand"] == 20.0
    assert row.explanation["lead_time_days"] == 2.0  # the supplier's, not the product's
    # The bought-in lot is not the line's load.
    assert plan.load == D("20")
    # Releasing again, or running the period again, calls off nothing more.
    push_plan_release(plan_id=plan.pk)
    push_plan_run(line=line, period_start=TODAY)
    assert CallOff.objects.count() == 1 and WorkOrder.objects.count() == 1


@pytest.mark.django_db
def test_a_draft_calls_off_nothing_and_a_discarded_one_never_will() -> None:
    bolt, _ = _bolt()
    line = _push_line("asm", "F-1", bolt)
    draft = push_plan_draft(line=line, period_start=TODAY)
    assert draft.lines.get(product=bolt).quantity == D("40")
    assert not CallOff.objects.exists()
    push_plan_discard(plan_id=draft.pk)
    assert not CallOff.objects.exists()
    assert PushPlanLine.objects.get(product=bolt).plan.status == PushPlanStatus.DISCARDED


@pytest.mark.django_db
def test_open_call_offs_and_other_drafts_are_netted() -> None:
    bolt, supplier = _bolt()
    CallOff.objects.create(
        supplier=supplier,
        product=bolt,
        location=bolt.supermarket,
        quantity=D("10"),
        due_at="2026-03-03T00:00:00Z",
    )
    CallOff.objects.create(  # received: no longer open
        supplier=supplier,
        product=bolt,
        location=bolt.supermarket,
        quantity=D("50"),
        received_quantity=D("50"),
        status=CallOffStatus.RECEIVED,
        due_at="2026-03-01T00:00:00Z",
    )
    first = _push_line("asm-a", "F-A", bolt)
    second = _push_line("asm-b", "F-B", bolt)
    a = push_plan_draft(line=first, period_start=TODAY).lines.get(product=bolt)
    assert a.quantity == D("30")  # 60 - 20 on hand - 10 open
    b = push_plan_draft(line=second, period_start=TODAY).lines.get(product=bolt)
    # Both lines' 120 bolts, less the stock, the open call-off and the first draft's 30.
    assert b.explanation["dependent_demand"] == 120.0
    assert b.explanation["other_drafts"] == 30.0
    assert b.quantity == D("60")


@pytest.mark.django_db
def test_a_component_with_a_line_or_without_a_supplier_loop_is_not_called_off() -> None:
    bolt, _ = _bolt()
    line = _push_line("asm", "F-1", bolt)
    unsourced = ProductFactory(sku="P-300", line=None, container_quantity=D("5"))
    BomLineFactory(parent=line.products.get(), component=unsourced, quantity=D("1"))
    plan = push_plan_run(line=line, period_start=TODAY)
    assert set(plan.lines.values_list("product__sku", flat=True)) == {"F-1", "P-200"}
    assert list(CallOff.objects.values_list("product__sku", flat=True)) == ["P-200"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.USES_POSTGRES, reason="row locks need PostgreSQL")
def test_two_lines_sharing_a_component_net_it_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two push lines planned at once, each needing 60 bolts of one purchased component
    with 20 on hand: together they call off 100. Without the component's lock both read
    the same stock and call off 40 each, 20 short (the pause widens the window)."""
    bolt, _ = _bolt()
    lines = [_push_line("asm-a", "F-A", bolt), _push_line("asm-b", "F-B", bolt)]
    monkeypatch.setattr(
        call_off_planning, "dependent_demand", slowed(call_off_planning.dependent_demand)
    )

    def plan(line: Any) -> Callable[[], None]:
        return lambda: push_plan_run(line=line, period_start=TODAY) and None

    errors = run_in_threads([plan(line) for line in lines])
    assert errors == []
    quantities = sorted(CallOff.objects.values_list("quantity", flat=True))
    assert sum(quantities) == D("100")
    assert quantities == [D("40"), D("60")]


@pytest.mark.django_db
def test_the_plan_page_and_api_show_the_call_offs(client, planner, operator) -> None:  # type: ignore[no-untyped-def]
    from tests.planning.test_pages_and_api import token_client

    bolt, _ = _bolt()
    line = _push_line("asm", "F-1", bolt)
    draft = push_plan_draft(line=line, period_start=TODAY)
    client.force_login(planner)
    page = client.get(f"/planning/push/{draft.pk}/").content.decode()
    assert "to call off from acme" in page and "Open call-offs" in page
    push_plan_release(plan_id=draft.pk)
    call_off = CallOff.objects.get()
    page = client.get(f"/planning/push/{draft.pk}/").content.decode()
    assert f"call-off CO-{call_off.pk} to Acme Fasteners" in page
    body = token_client(planner).get(f"/api/v1/push-plans/{draft.pk}/").json()
    rows = {row["product"]: row for row in body["lines"]}
    assert rows["P-200"]["call_off"] == call_off.pk and rows["P-200"]["work_order"] is None
    assert rows["F-1"]["call_off"] is None and rows["F-1"]["work_order"] is not None
    assert token_client(operator).get(f"/api/v1/push-plans/{draft.pk}/").status_code == 403
    client.force_login(operator)
    assert client.get(f"/planning/push/{draft.pk}/").status_code == 403
