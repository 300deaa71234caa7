"""A live line's comparison includes its bought-in components: a component replenished by
a transfer from a warehouse (itself called off from a supplier) joins the spec with its
transfer lead time, its warehouse stage, its live cards and its consumption replayed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kanban.services import loop_create
from production.comparisons.specs import SpecOptions, line_spec, line_specs
from production.comparisons.twin import compare
from production.models import MoveKind, Product, ProductionLine, StockMove
from production.supply.models import Supplier
from tests.factories import BomLineFactory, LineFactory, LocationFactory, ProductFactory

D = Decimal


def _bought_in_part(line: ProductionLine) -> Product:
    """P-200: bought from acme (2 days) into the warehouse (3 cards of 10), moved to the
    line side by transfers (0.5 day, 2 cards of 5); one per unit of P-A. 40 days of
    consumption at the line side, 6 a day, and a little at the warehouse."""
    supplier = Supplier.objects.create(code="acme", name="Acme", lead_time_days=D("2"))
    warehouse = LocationFactory(code="wh", kind="warehouse")
    line_side = LocationFactory(code="ls-press", kind="line_side")
    part = ProductFactory(sku="P-200", line=None, supermarket=warehouse, container_quantity=D("10"))
    loop_create(product=part, card_count=3, source="supplier", supplier=supplier)
    loop_create(
        product=part,
        location=line_side,
        container_quantity=D("5"),
        card_count=2,
        source="transfer",
        source_location=warehouse,
        transfer_lead_time_days=D("0.5"),
    )
    BomLineFactory(parent=line.products.get(sku="P-A"), component=part, quantity=D("1"))
    now = timezone.now()
    moves = [
        StockMove(product=part, location=line_side, kind=MoveKind.CONSUMPTION, quantity=D("-3"))
        for _ in range(80)
    ] + [StockMove(product=part, location=warehouse, kind=MoveKind.CONSUMPTION, quantity=D("-7"))]
    made = StockMove.objects.bulk_create(moves)
    for i, move in enumerate(made):
        move.created_at = now - timedelta(days=40) + timedelta(hours=12 * i)
    StockMove.objects.bulk_update(made, ["created_at"])
    return part


def test_a_transfer_fed_component_joins_the_line_spec(history_line) -> None:  # type: ignore[no-untyped-def]
    _bought_in_part(history_line)
    end = timezone.now()
    spec = line_spec(line=history_line, start=end - timedelta(days=56), end=end, replications=2)
    part = next(p for p in spec["products"] if p["sku"] == "P-200")
    assert part["source"] == {
        "kind": "transfer",
        "lead_time": {"dist": "deterministic", "mean_days": 0.5},
        "warehouse": {"cards": 3, "lead_time": {"dist": "deterministic", "mean_days": 2.0}},
    }
    assert part["container_quantity"] == 5.0
    # The line side's consumption only, at its own times: 80 moves of 3.
    events = part["demand"]["events"]
    assert len(events) == 80 and {q for _, q in events} == {3.0}
    assert events[0][0] == pytest.approx(16.0, abs=0.01)
    assert spec["policies"][0]["cards"]["P-200"] == 2
    result = compare(spec)
    kanban = result["policies"][0]["metrics"]
    assert 0 <= kanban["transfer_fill_rate"] <= 1
    assert kanban["transfer_orders_released"] == pytest.approx(48, abs=1)  # 240 / 5
    assert 0 < kanban["warehouse_fill_rate"] <= 1
    assert result["context"]["bought_in"][0]["sku"] == "P-200"


def test_lines_without_supplier_loops_are_unchanged(history_line) -> None:  # type: ignore[no-untyped-def]
    end = timezone.now()
    spec = line_spec(line=history_line, start=end - timedelta(days=56), end=end)
    assert [p["sku"] for p in spec["products"]] == ["P-A", "P-B"]
    assert all("source" not in p for p in spec["products"])


def test_components_of_many_lines_in_a_constant_number_of_queries(
    history_line, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    _bought_in_part(history_line)
    part = Product.objects.get(sku="P-200")
    lines = [history_line]
    for i in range(6):
        line = LineFactory(code=f"extra-{i}")
        made = ProductFactory(sku=f"X-{i}", line=line)
        BomLineFactory(parent=made, component=part, quantity=D("2"))
        lines.append(line)
    end = timezone.now()
    with django_assert_max_num_queries(14):
        specs = line_specs(
            lines=lines, start=end - timedelta(days=56), end=end, options=SpecOptions()
        )
    assert all(any(p["sku"] == "P-200" for p in specs[line.pk]["products"]) for line in lines)
