"""A component line in push mode is planned from its parents' planned orders through
the BOM, level by level (multi-level explosion), not from a forecast it does not have."""

from __future__ import annotations

from decimal import Decimal

from production.models import LineMode, WorkOrder
from production.planning.core import dependent_requirements, low_level_codes
from production.planning.services.push import push_plan_draft, push_plans_run_due
from tests.factories import BomLineFactory, LineFactory, ProductFactory
from tests.planning.test_push import TODAY, forecast_for

D = Decimal


def _chain():  # type: ignore[no-untyped-def]
    """Finished F (2 x M), made from M (3 x C); every line in push. The codes sort the
    component lines first, so planning by code alone would plan them before their parents."""
    lines = {
        code: LineFactory(code=code, mode=LineMode.PUSH, capacity_per_day=D("10000"))
        for code in ("a-cast", "b-machine", "c-assemble")
    }

    def product(sku: str, line: str) -> object:
        return ProductFactory(
            sku=sku, line=lines[line], lead_time_days=D("1"), lot_sizing="lot_for_lot"
        )

    finished, middle, casting = (
        product("F", "c-assemble"),
        product("M", "b-machine"),
        product("C", "a-cast"),
    )
    BomLineFactory(parent=finished, component=middle, quantity=D("2"))
    BomLineFactory(parent=middle, component=casting, quantity=D("3"))
    forecast_for(finished, per_day=10)  # 2 days of protection: 20
    return lines, finished, middle, casting


def test_the_scheduled_run_explodes_the_bom_level_by_level(db) -> None:  # type: ignore[no-untyped-def]
    _, _, _, casting = _chain()
    push_plans_run_due(today=TODAY)
    made = dict(WorkOrder.objects.values_list("product__sku", "quantity"))
    assert made == {"F": D("20"), "M": D("40"), "C": D("120")}
    order = WorkOrder.objects.get(product=casting)
    assert order.plan_explanation["dependent_demand"] == 120.0
    assert order.plan_explanation["requirement_from"] == "parents' planned orders (BOM)"


def test_a_component_draft_reads_its_parents_draft(db) -> None:  # type: ignore[no-untyped-def]
    lines, _, middle, _ = _chain()
    push_plan_draft(line=lines["c-assemble"], period_start=TODAY)
    drafted = push_plan_draft(line=lines["b-machine"], period_start=TODAY)
    row = drafted.lines.get(product=middle)
    assert row.quantity == D("40") and row.explanation["dependent_demand"] == 40.0
    assert not WorkOrder.objects.exists()


def test_parents_first_and_quantities_per_level() -> None:
    assert low_level_codes([(1, 2), (2, 3), (1, 3), (4, 3)]) == {1: 0, 2: 1, 3: 2, 4: 0}
    assert dependent_requirements([(1, 2, 2.0), (4, 2, 0.5)], {1: 10.0, 4: 4.0}) == {2: 22.0}
