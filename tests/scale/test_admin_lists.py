"""Admin changelists of the big tables: no exact count of millions of rows, no date
hierarchy reading every row's date, no filter whose choices read the table."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from production.admin import EstimatedCountPaginator
from production.models import StockMove

BIG = ["production/demandevent", "production/stockmove", "production/workorder"]
LOGS = ["production/workorderevent", "kanban/cardevent", "kanban/pullsignal", "kanban/kanbancard"]


def _open(client: Client, path: str, max_queries: Any) -> list[str]:
    with CaptureQueriesContext(connection) as captured, max_queries(12):
        response = client.get(path)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("model", BIG + LOGS)
def test_changelists_read_no_date_hierarchy_and_no_distinct_values(
    crowded_plant: dict[str, int],
    admin_client_on_plant: Client,
    django_assert_max_num_queries: Any,
    model: str,
) -> None:
    for sql in _open(admin_client_on_plant, f"/admin/{model}/", django_assert_max_num_queries):
        assert "DATE_TRUNC" not in sql.upper(), sql
        assert not sql.startswith("SELECT DISTINCT"), sql


@pytest.mark.parametrize("model", BIG)
def test_big_changelists_estimate_their_count(
    crowded_plant: dict[str, int],
    admin_client_on_plant: Client,
    django_assert_max_num_queries: Any,
    model: str,
) -> None:
    table = model.replace("/", "_")
    queries = _open(admin_client_on_plant, f"/admin/{model}/", django_assert_max_num_queries)
    counts = [sql for sql in queries if "COUNT(" in sql.upper() and f'"{table}"' in sql]
    assert counts == []


def test_a_search_is_counted_exactly(
    crowded_plant: dict[str, int],
    admin_client_on_plant: Client,
    django_assert_max_num_queries: Any,
) -> None:
    quiet = "FG-00009"
    queries = _open(
        admin_client_on_plant,
        f"/admin/production/stockmove/?q={quiet}",
        django_assert_max_num_queries,
    )
    assert any("COUNT(" in sql.upper() for sql in queries)
    paginator = EstimatedCountPaginator(StockMove.objects.filter(product__sku=quiet), 100)
    assert paginator.count == StockMove.objects.filter(product__sku=quiet).count()
    assert EstimatedCountPaginator(StockMove.objects.all(), 100).count > 20_000
