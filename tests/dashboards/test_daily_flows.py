"""The per-day sums the line dashboard reads stay exactly equal to the raw ledger and demand,
whoever writes them: the pull engine, bulk updates, deletes, the plant builder."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from kanban.plant import build_plant
from production.dashboards import flows, selectors
from production.dashboards.models import DailyLineOrders
from production.dashboards.services import daily_flows_rebuild
from production.models import DemandEvent, ProductionLine, StockMove, WorkOrder, WorkOrderEvent
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


# The work orders' per-day sums, computed from scratch, one SELECT per step's day.
ORDERS_RAW = """
    WITH steps AS (
        SELECT line_id, product_id, (created_at AT TIME ZONE 'UTC')::date AS day,
               quantity AS signalled, 0 AS released, 0 AS dropped, 0 AS completed,
               0 AS from_wip, 0 AS n, 0 AS lead, 0 AS cycle_n, 0 AS cycle, 0 AS wip
        FROM production_workorder
        UNION ALL
        SELECT line_id, product_id, (released_at AT TIME ZONE 'UTC')::date,
               0, quantity, 0, 0, 0, 0, 0, 0, 0, 0
        FROM production_workorder WHERE released_at IS NOT NULL
        UNION ALL
        SELECT line_id, product_id, (cancelled_at AT TIME ZONE 'UTC')::date,
               0, 0, quantity, 0, 0, 0, 0, 0, 0, 0
        FROM production_workorder
        WHERE status = 'cancelled' AND released_at IS NOT NULL AND cancelled_at IS NOT NULL
        UNION ALL
        SELECT line_id, product_id, (completed_at AT TIME ZONE 'UTC')::date,
               0, 0, 0, quantity, CASE WHEN released_at IS NULL THEN 0 ELSE quantity END, 1,
               EXTRACT(EPOCH FROM completed_at - created_at),
               CASE WHEN released_at IS NULL THEN 0 ELSE 1 END,
               coalesce(EXTRACT(EPOCH FROM completed_at - released_at), 0),
               coalesce(quantity * EXTRACT(EPOCH FROM completed_at - released_at), 0)
        FROM production_workorder WHERE status = 'done'
    )
    SELECT line_id, product_id, day, sum(signalled), sum(released), sum(dropped),
           sum(completed), sum(from_wip), sum(n), sum(lead), sum(cycle_n), sum(cycle), sum(wip)
    FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""
ORDERS_SUMS = """
    SELECT line_id, product_id, day, signalled, released, dropped, completed,
           completed_from_wip, done_orders, lead_seconds, cycle_orders, cycle_seconds,
           wip_unit_seconds
    FROM production_dailylineorders
    WHERE signalled <> 0 OR released <> 0 OR dropped <> 0 OR done_orders <> 0
    ORDER BY 1, 2, 3
"""


def _rows(sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def assert_sums_match_the_raw_tables() -> None:
    assert _rows(STOCK_SUMS) == _rows(STOCK_RAW)
    assert _rows(DEMAND_SUMS) == _rows(DEMAND_RAW)
    assert _rows(ORDERS_SUMS) == _rows(ORDERS_RAW)


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


def test_work_orders_through_every_step_keep_their_per_day_sums(plant: Plant) -> None:
    """Manual orders released, started, completed and cancelled one by one and in bulk;
    an order moved to another day; deletes; the extremes of the lead times."""
    from production.services import work_orders as wo

    orders = [wo.work_order_create(product=plant.component, quantity=Decimal(q)) for q in "1234"]
    assert _rows(ORDERS_SUMS) and _rows(ORDERS_SUMS) == _rows(ORDERS_RAW)
    wo.work_orders_release_many(work_order_ids=[o.pk for o in orders])  # one UPDATE
    for order in orders[:2]:
        wo.work_order_start(work_order_id=order.pk)
        wo.work_order_complete(work_order_id=order.pk)
    wo.work_order_cancel(work_order_id=orders[2].pk, reason="not needed after all")
    assert_sums_match_the_raw_tables()
    (done,) = DailyLineOrders.objects.filter(done_orders__gt=0).values_list(
        "done_orders", flat=True
    )
    assert done == 2
    # Taken back (an undo) and done again: the sums follow both steps.
    from production.services.work_order_reversals import work_order_reopen, work_order_unstart

    work_order_reopen(work_order_id=orders[1].pk, actor_id=None, reason="undo")
    work_order_unstart(work_order_id=orders[1].pk, actor_id=None, reason="undo")
    assert_sums_match_the_raw_tables()
    wo.work_order_start(work_order_id=orders[1].pk)
    wo.work_order_complete(work_order_id=orders[1].pk)
    assert_sums_match_the_raw_tables()

    earlier = timezone.now() - timedelta(days=2, hours=5)
    WorkOrder.objects.filter(pk=orders[0].pk).update(created_at=earlier, released_at=earlier)
    assert_sums_match_the_raw_tables()
    lead = DailyLineOrders.objects.aggregate(m=Max("lead_max_seconds"))["m"]
    assert lead > 2 * 86400  # the order made longer is the longest lead time
    WorkOrderEvent.objects.filter(work_order=orders[3]).delete()
    WorkOrder.objects.filter(pk=orders[3].pk).delete()
    assert_sums_match_the_raw_tables()


def test_rebuild_recomputes_the_work_orders_sums(cell: ProductionLine) -> None:
    before = _rows(ORDERS_SUMS)
    assert before
    with connection.cursor() as cursor:
        cursor.execute("UPDATE production_dailylineorders SET released = released + 1")
    assert _rows(ORDERS_SUMS) != before
    daily_flows_rebuild()
    assert _rows(ORDERS_SUMS) == before == _rows(ORDERS_RAW)
