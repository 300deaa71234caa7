"""The home page every user lands on, on a plant with history."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from production.models import Product, ProductionLine, WorkOrder
from production.selectors import home_summary
from tests.scale.conftest import sql_of

OPEN = ("planned", "released", "in_progress")


def test_home_counts_products_and_open_orders_of_each_line(tiny_plant: dict[str, int]) -> None:
    lines = {line.code: line for line in home_summary()["lines"]}
    assert len(lines) == ProductionLine.objects.count()
    for code, line in lines.items():
        assert line.products_count == Product.objects.filter(line__code=code).count()
        assert (
            line.open_orders == WorkOrder.objects.filter(line__code=code, status__in=OPEN).count()
        )
    assert sum(line.open_orders for line in lines.values()) > 0


def test_home_counts_each_relation_in_its_own_subquery(
    planner_client_on_plant: Client, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured, django_assert_max_num_queries(8):
        response = planner_client_on_plant.get(reverse("home"))
    assert response.status_code == 200
    (lines_sql,) = sql_of(captured, "production_productionline")
    # Products x work orders joined in one GROUP BY is what made this page take 80 s.
    assert "GROUP BY" not in lines_sql and "JOIN" not in lines_sql
