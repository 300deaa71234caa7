"""The per-day sums the line dashboard reads stay exactly equal to the raw ledger and demand,
whoever writes them: the pull engine, bulk updates, deletes, the plant builder."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from kanban.plant import build_plant
from production.dashboards import flows, selectors
from production.dashboards.services import daily_flows_rebuild
from production.models import DemandEvent, ProductionLine, StockMove
from production.services import demand_process_pending, demand_record
from tests.conftest import Plant
from tests.dashboards.conftest import NOW

STOCK_RAW = """
    SELECT product_id, location_id, (created_at AT TIME ZONE 'UTC')::date, sum(quantity), count(*)
    FROM production_stockmove GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""
STOCK_SUMS = """
    SELECT product_id, location_id, day, quantity, moves FROM production_dailystockflow
    WHERE moves <> 0 OR quantity <> 0 ORDER BY 1, 2, 3
"""
PROCESSED = "processed_at IS NOT NULL AND processed_at >= created_at - interval '1 minute'"
DEMAND_RAW = f"""
    SELECT product_id, (occurred_at AT TIME ZONE 'UTC')::date, sum(quantity), count(*),
           coalesce(sum(quantity) FILTER (WHERE {PROCESSED}), 0),
           count(*) FILTER (WHERE {PROCESSED}),
           coalesce(sum(backordered_quantity) FILTER (WHERE {PROCESSED}), 0)
    FROM production_demandevent GROUP BY 1, 2 ORDER BY 1, 2
"""
DEMAND_SUMS = """
    SELECT product_id, day, demanded, events, processed, processed_events, backordered
    FROM production_dailydemand WHERE events <> 0 ORDER BY 1, 2
"""


def _rows(sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def assert_sums_match_the_raw_tables() -> None:
    assert _rows(STOCK_SUMS) == _rows(STOCK_RAW)
    assert _rows(DEMAND_SUMS) == _rows(DEMAND_RAW)


def test_known_plant_summary_path_equals_the_raw_computation(cell: ProductionLine) -> None:
    first = selectors.window(7, NOW).first
    assert flows.supermarket_moves_by_day(line=cell, first=first) == (
        flows.supermarket_moves_by_day(line=cell, first=first, raw=True)
    )
    assert flows.demand_by_day(line=cell, first=first) == (
        flows.demand_by_day(line=cell, first=first, raw=True)
    )
    assert flows.supermarket_moves_by_day(line=cell, first=first) != {}
    assert_sums_match_the_raw_tables()


def test_the_whole_dashboard_is_the_same_from_the_sums_and_from_scratch(
    cell: ProductionLine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_sums = selectors.line_dashboard(line=cell, days=7, now=NOW)
    monkeypatch.setattr(flows, "use_summary", lambda: False)
    from_scratch = selectors.line_dashboard(
        line=ProductionLine.objects.get(pk=cell.pk), days=7, now=NOW
    )
    assert from_sums["kpis"] == from_scratch["kpis"]
    assert from_sums["charts"] == from_scratch["charts"]


def test_the_engine_updates_and_deletes_keep_the_sums_equal(plant: Plant) -> None:
    """Demand through the pull engine (inserts, then the processing's bulk UPDATE and its
    ledger moves), backorders, events moved to another day, and deletes."""
    product = plant.finished  # three full containers of 5
    for i, quantity in enumerate([Decimal(3), Decimal(15), Decimal(4)]):  # then backorders
        demand_record(product=product, quantity=quantity, external_id=f"e{i}")
    while demand_process_pending():
        pass
    assert DemandEvent.objects.filter(backordered_quantity__gt=0).exists()
    assert StockMove.objects.filter(kind="consumption").exists()
    assert_sums_match_the_raw_tables()

    DemandEvent.objects.filter(external_id="e0").update(
        occurred_at=timezone.now() - timedelta(days=3)
    )
    DemandEvent.objects.filter(external_id="e2").update(
        backordered_quantity=Decimal("2"), open_backorder_quantity=Decimal("2")
    )
    assert_sums_match_the_raw_tables()
    StockMove.objects.filter(kind="consumption").delete()
    DemandEvent.objects.filter(external_id="e1").delete()
    assert_sums_match_the_raw_tables()
    assert _rows(DEMAND_SUMS)  # not trivially empty


def test_the_trusted_plant_builder_keeps_the_sums(db) -> None:  # type: ignore[no-untyped-def]
    """The builder turns triggers off (`session_replication_role = replica`); the sums'
    triggers fire anyway."""
    build_plant(scale="tiny", trusted=True)
    assert _rows(STOCK_SUMS) and _rows(DEMAND_SUMS)
    assert_sums_match_the_raw_tables()


def test_rebuild_recomputes_the_same_sums(cell: ProductionLine) -> None:
    before_stock, before_demand = _rows(STOCK_SUMS), _rows(DEMAND_SUMS)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE production_dailystockflow SET quantity = quantity + 1")
    assert _rows(STOCK_SUMS) != before_stock
    counts = daily_flows_rebuild()
    assert _rows(STOCK_SUMS) == before_stock and _rows(DEMAND_SUMS) == before_demand
    assert counts["stock_days"] == len(before_stock)
