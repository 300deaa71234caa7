"""Planners' dashboards on a plant with history: windows read only the window, and each
count has a subquery of its own."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from production.dashboards.flows import midnight
from production.dashboards.selectors import line_dashboard
from production.models import DemandEvent, ProductionLine, WorkOrder
from tests.scale.conftest import sql_of


def test_dashboard_index_counts_each_relation_in_its_own_subquery(
    planner_client_on_plant: Client, django_assert_max_num_queries: Any
) -> None:
    with CaptureQueriesContext(connection) as captured, django_assert_max_num_queries(10):
        response = planner_client_on_plant.get("/dashboards/")
    assert response.status_code == 200
    (lines_sql,) = sql_of(captured, "production_productionline")
    assert "GROUP BY" not in lines_sql and "JOIN" not in lines_sql


def test_line_dashboard_windows_are_in_where_not_in_filter(
    planner_client_on_plant: Client, django_assert_max_num_queries: Any
) -> None:
    line = ProductionLine.objects.order_by("id").first()
    assert line is not None
    with CaptureQueriesContext(connection) as captured, django_assert_max_num_queries(24):
        response = planner_client_on_plant.get(f"/dashboards/lines/{line.code}/?days=28")
    assert response.status_code == 200
    for sql in captured.captured_queries:
        windowed = re.search(r"FILTER \(WHERE[^)]*(occurred_at|completed_at)", sql["sql"])
        assert windowed is None, sql["sql"]


def test_line_dashboard_figures_match_the_history(tiny_plant: dict[str, int]) -> None:
    line = ProductionLine.objects.order_by("id").first()
    assert line is not None
    now = timezone.now()
    data = line_dashboard(line=line, days=28, now=now)
    # The window: the 28 full days before today (docs/dashboards.md).
    end = midnight(timezone.localdate(now))
    start = end - timedelta(days=28)
    window = {"gte": start, "lt": end}
    demanded = DemandEvent.objects.filter(
        product__line=line, **{f"occurred_at__{k}": v for k, v in window.items()}
    ).aggregate(total=Sum("quantity"))["total"]
    assert data["kpis"]["units_demanded"] == float(demanded) > 0
    made = WorkOrder.objects.filter(
        line=line, status="done", **{f"completed_at__{k}": v for k, v in window.items()}
    ).aggregate(total=Sum("quantity"))["total"]
    assert data["kpis"]["throughput_per_day"] * 28 == pytest.approx(float(made or 0))
    waiting = WorkOrder.objects.filter(line=line, status="planned", origin="kanban").count()
    assert data["kpis"]["signals_waiting"] == waiting
