"""Every line-dashboard figure against values computed by hand from line `cell`'s known
events (see its fixture), and the guards for lines with too little data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from production.dashboards import figures, selectors
from production.models import (
    DemandEvent,
    DemandStatus,
    ProductionLine,
    WorkOrder,
    WorkOrderOrigin,
    WorkOrderStatus,
)
from tests.dashboards.conftest import NOW
from tests.factories import LineFactory, LocationFactory, ProductFactory

H = 1 / 24  # an hour, in days


@pytest.fixture
def board(cell: ProductionLine) -> dict:  # type: ignore[type-arg]
    return selectors.line_dashboard(line=cell, days=7, now=NOW)


def test_throughput_counts_the_units_done_in_the_seven_full_days(board) -> None:  # type: ignore[no-untyped-def]
    k = board["kpis"]
    # W0..W5: 5 + 2 + 5 + 2 + 5 + 2 units; W7 (Mar 7) and W11 (today) are outside.
    assert k["n_orders_completed"] == 6 and k["units_completed"] == 21
    assert k["window_days"] == 7
    assert k["throughput_per_day"] == pytest.approx(3.0)


def test_lead_cycle_and_process_times(board) -> None:  # type: ignore[no-untyped-def]
    k = board["kpis"]
    leads = [1.0, 0.5, 2.0, 1.5, 0.25, 1.0]
    assert k["n_lead_times"] == 6
    assert k["lead_time_mean_days"] == pytest.approx(6.25 / 6)
    assert k["lead_time_p90_days"] == pytest.approx(2.0)  # nearest rank: the 6th of 6
    assert k["cycle_time_mean_days"] == pytest.approx(6.25 / 6 - 2 * H)  # from release
    assert k["process_time_mean_days"] == pytest.approx(6.25 / 6 - 4 * H)  # from start
    assert k["job_size_mean"] == pytest.approx(3.5)
    assert figures.quantile(leads, 0.9) == k["lead_time_p90_days"]


def test_wip_is_time_averaged_and_walked_back_per_day(board) -> None:  # type: ignore[no-untyped-def]
    k, levels = board["kpis"], board["charts"]["levels"]
    # unit-days in WIP inside Mar 8-14: W0..W5 5(22h + 46h + 2h)/24 + 2(10h + 34h + 22h)/24
    # = 20.5, W8 5 x 14 h, W9 2 x 1 day (cancelled after its release).
    assert k["wip_mean"] == pytest.approx((20.5 + 5 * 14 * H + 2) / 7)
    assert k["wip_now"] == 5
    assert levels["days"][0] == "2026-03-08" and levels["days"][-1] == "2026-03-15"
    assert levels["wip"] == [5, 0, 5, 7, 2, 2, 5, 5]


def test_inventory_is_the_supermarket_stock_at_each_day_end(board) -> None:  # type: ignore[no-untyped-def]
    k, levels = board["kpis"], board["charts"]["levels"]
    assert levels["inventory"] == [30, 27, 27, 24, 30, 30, 32, 30]  # not the store's 100
    assert k["inventory_now"] == 30
    assert k["inventory_mean"] == pytest.approx(200 / 7)


def test_cumulative_flow(board) -> None:  # type: ignore[no-untyped-def]
    cfd = board["charts"]["cfd"]
    assert cfd["demanded"] == [0, 10, 30, 34, 40, 43, 43, 50]
    assert cfd["signalled"] == [5, 7, 12, 14, 21, 23, 33, 38]
    assert cfd["released"] == [5, 7, 12, 14, 21, 23, 28, 33]
    assert cfd["completed"] == [0, 7, 7, 7, 19, 19, 21, 26]
    assert board["charts"]["levels"]["backordered"] == [0, 0, 0, 1, 0, 0, 0, 0]


def test_fill_rate_counts_only_demand_pullboard_served(board) -> None:  # type: ignore[no-untyped-def]
    k = board["kpis"]
    # 43 units demanded in the window; 20 of them processed here (the 20 imported as served
    # and the 3 still waiting say nothing of this stock), 1 of those backordered.
    assert k["units_demanded"] == 43 and k["demand_per_day"] == pytest.approx(43 / 7)
    assert k["units_processed"] == 20 and k["n_demand_processed"] == 3
    assert k["fill_rate"] == pytest.approx(19 / 20)
    assert k["backorders_open"] == 1


def test_signals_waiting(board) -> None:  # type: ignore[no-untyped-def]
    assert board["kpis"]["signals_waiting"] == 1
    assert board["kpis"]["oldest_signal_age_days"] == pytest.approx(16 * H)


def test_lead_time_histogram_has_readable_distinct_bins(board) -> None:  # type: ignore[no-untyped-def]
    hist = board["charts"]["lead_time_hist"]
    assert hist["edges"] == pytest.approx([0.2 + 0.2 * i for i in range(10)])
    assert hist["counts"] == [1, 1, 0, 0, 2, 0, 1, 0, 1]
    assert hist["labels"][0] == "0.2\u20130.4" and hist["labels"][-1] == "1.8\u20132.0"
    # The same bins and counts as the arithmetic on the six lead times.
    assert figures.histogram([1.0, 0.5, 2.0, 1.5, 0.25, 1.0]) == {
        k: v for k, v in hist.items() if k != "n"
    }


def test_littles_law_panel_from_the_line_and_its_orders(board) -> None:  # type: ignore[no-untyped-def]
    lit = board["charts"]["little"]
    assert (lit["rb"], lit["q"], lit["q_source"]) == (10, 3.5, "orders")
    assert lit["t0"] == pytest.approx(6.25 / 6 - 4 * H) and lit["t0_source"] == "orders"
    assert lit["w0"] == pytest.approx(10 * lit["t0"])
    assert lit["measured"] == {
        "wip": round((20.5 + 5 * 14 * H + 2) / 7, 3),
        "th": 3.0,
        "ct": round(6.25 / 6 - 2 * H, 4),
    }
    for best, pwc, worst in zip(lit["best_th"], lit["pwc_th"], lit["worst_th"], strict=True):
        assert worst <= pwc <= best


@pytest.fixture
def imported_line(db) -> ProductionLine:  # type: ignore[no-untyped-def]
    """The demo's shape: a year of demand imported as already served, no production
    history, and two orders signalled and finished within minutes today."""
    line = LineFactory(code="imported", capacity_per_day=Decimal("120"))
    product = ProductFactory(
        sku="IMP-1", line=line, supermarket=LocationFactory(), container_quantity=Decimal("4")
    )
    now = timezone.now()
    for day in range(1, 29):
        occurred = now - timezone.timedelta(days=day)
        DemandEvent.objects.create(
            product=product,
            quantity=Decimal(40),
            occurred_at=occurred,
            external_id=f"hist-{day}",
            status=DemandStatus.FULFILLED,
            processed_at=occurred,
        )
    for minutes in (3, 5):
        order = WorkOrder.objects.create(
            product=product,
            line=line,
            location=product.supermarket,
            quantity=Decimal(4),
            origin=WorkOrderOrigin.KANBAN,
            status=WorkOrderStatus.DONE,
        )
        done = now - timezone.timedelta(days=1, hours=1)
        WorkOrder.objects.filter(pk=order.pk).update(
            created_at=done - timezone.timedelta(minutes=minutes),
            released_at=done - timezone.timedelta(minutes=minutes - 1),
            started_at=done - timezone.timedelta(minutes=1),
            completed_at=done,
        )
    return line


def test_too_little_data_says_so_instead_of_zero(imported_line, planner) -> None:  # type: ignore[no-untyped-def]
    data = selectors.line_dashboard(line=imported_line, days=28)
    k, charts = data["kpis"], data["charts"]
    assert k["units_demanded"] == pytest.approx(40 * 28, abs=40)
    assert k["fill_rate"] is None  # imported as served: no measure of this stock
    assert k["lead_time_mean_days"] is None and k["lead_time_p90_days"] is None
    assert charts["lead_time_hist"]["counts"] == [] and charts["lead_time_hist"]["n"] == 2
    lit = charts["little"]
    # Curves from the line's capacity and containers, not from two 1-minute orders.
    assert lit["measured"] is None and lit["t0_source"] == "capacity"
    assert lit["t0"] == pytest.approx(4 / 120)
    for best, pwc, worst in zip(lit["best_th"], lit["pwc_th"], lit["worst_th"], strict=True):
        assert worst <= pwc <= best
    client = Client()
    client.force_login(planner)
    html = client.get("/dashboards/lines/imported/?days=28").content.decode()
    assert '<span class="kpi-value kpi-none" data-kpi="fill-rate">—</span>' in html
    assert '<span class="kpi-value kpi-none" data-kpi="lead-time">—</span>' in html
    assert "not enough data: 2 of 5 completed orders needed" in html
    assert 'data-chart-none="leadtime"' in html and 'data-chart="leadtime"' not in html
    assert "0.00-0.00" not in html and "0.00\u20130.00" not in html


def test_a_line_with_nothing_done_shows_no_throughput(db, planner) -> None:  # type: ignore[no-untyped-def]
    LineFactory(code="idle")
    client = Client()
    client.force_login(planner)
    html = client.get("/dashboards/lines/idle/").content.decode()
    assert '<span class="kpi-value kpi-none" data-kpi="throughput">—</span>' in html
    assert "no work order completed in the window" in html
