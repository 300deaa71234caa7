"""API lists on a plant with history: every documented filter answers in a fixed number of
queries, and an index serves the filter together with the cursor's order (no sort of the
filtered rows, no backward walk of the whole table)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from production.models import DemandEvent, Product, ProductionLine, StockMove, WorkOrder

QUIET_SKU = "FG-00009"  # the tiny plant's least demanded finished good


def _lines() -> dict[str, str]:
    lines = list(ProductionLine.objects.order_by("id").values_list("code", flat=True))
    return {"busy": lines[0], "components": lines[-1]}


def _list(client: Client, path: str, max_queries: Any) -> tuple[list[dict[str, Any]], str]:
    """The list's first page and the SQL of its page query."""
    with CaptureQueriesContext(connection) as captured, max_queries(6):
        response = client.get(path, {"page_size": 50} if "?" not in path else None)
    assert response.status_code == 200, response.content[:300]
    pages = [q["sql"] for q in captured.captured_queries if "DESC LIMIT" in q["sql"]]
    assert len(pages) == 1, pages
    return response.json()["results"], pages[0]


def _plan(sql: str, *, sort_free: bool) -> str:
    """The plan PostgreSQL picks; with `sort_free`, among the plans that read the page in
    the cursor's order without sorting (what it must do for a filter matching millions of
    rows). Without an index on (filter, id) the only such plan walks the primary key back."""
    switches = ("enable_seqscan", "enable_bitmapscan", "enable_sort") if sort_free else ()
    with connection.cursor() as cursor:
        for switch in switches:
            cursor.execute(f"SET LOCAL {switch} = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        for switch in switches:
            cursor.execute(f"SET LOCAL {switch} = on")
    return plan


CASES = [
    # path (format: {busy}, {components}, {sku}), the index that must serve it
    ("/api/v1/demand-events/?product={sku}", "demand_product_id_idx"),
    ("/api/v1/demand-events/?status=backordered", "demand_status_id_idx"),
    ("/api/v1/backorders/", "demand_open_backorder_id_idx"),
    ("/api/v1/stock/ledger/?product={sku}", "stock_move_product_id_idx"),
    ("/api/v1/stock/ledger/?kind=opening", "stock_move_kind_id_idx"),
    ("/api/v1/work-orders/?product={sku}", "work_order_product_id_idx"),
    ("/api/v1/work-orders/?line={components}", "work_order_line_id_idx"),
    ("/api/v1/work-orders/?status=planned", "work_order_status_id_idx"),
]
UNORDERED_CASES = [
    # Several values: an index finds the few rows, a sort of those orders them.
    ("/api/v1/work-orders/?status=planned&status=released", "production_workorder"),
    ("/api/v1/demand-events/?line={components}", "production_demandevent"),
    ("/api/v1/stock/ledger/?line={components}", "production_stockmove"),
]


@pytest.mark.parametrize(("path", "index"), CASES)
def test_each_filter_is_served_by_an_index_in_cursor_order(
    crowded_plant: dict[str, int],
    admin_client_on_plant: Client,
    django_assert_max_num_queries: Any,
    path: str,
    index: str,
) -> None:
    _, sql = _list(
        admin_client_on_plant, path.format(sku=QUIET_SKU, **_lines()), django_assert_max_num_queries
    )
    plan = _plan(sql, sort_free=True)
    assert f"Scan Backward using {index}" in plan, plan
    assert "Sort" not in plan, plan


@pytest.mark.parametrize(("path", "table"), UNORDERED_CASES)
def test_filters_of_several_values_read_only_their_rows(
    crowded_plant: dict[str, int],
    admin_client_on_plant: Client,
    django_assert_max_num_queries: Any,
    path: str,
    table: str,
) -> None:
    _, sql = _list(
        admin_client_on_plant, path.format(sku=QUIET_SKU, **_lines()), django_assert_max_num_queries
    )
    plan = _plan(sql, sort_free=False)
    assert f"Seq Scan on {table}" not in plan, plan
    assert f"Backward using {table}_pkey" not in plan, plan


def test_lists_filter_what_they_say(
    admin_client_on_plant: Client, django_assert_max_num_queries: Any
) -> None:
    quiet = Product.objects.get(sku=QUIET_SKU)
    lines = _lines()
    rows, _ = _list(
        admin_client_on_plant,
        f"/api/v1/stock/ledger/?product={QUIET_SKU}&page_size=1000",
        django_assert_max_num_queries,
    )
    assert len(rows) == StockMove.objects.filter(product=quiet).count() > 20
    assert {r["product"] for r in rows} == {QUIET_SKU}
    rows, _ = _list(
        admin_client_on_plant,
        f"/api/v1/demand-events/?line={lines['busy']}&page_size=1000",
        django_assert_max_num_queries,
    )
    assert len(rows) == DemandEvent.objects.filter(product__line__code=lines["busy"]).count() > 100
    rows, _ = _list(
        admin_client_on_plant,
        f"/api/v1/demand-events/?line={lines['components']}",
        django_assert_max_num_queries,
    )
    assert rows == []
    rows, _ = _list(
        admin_client_on_plant,
        f"/api/v1/work-orders/?line={lines['components']}&page_size=1000",
        django_assert_max_num_queries,
    )
    assert len(rows) == WorkOrder.objects.filter(line__code=lines["components"]).count() > 5
    # An unknown code matches nothing, without reading the big table.
    with django_assert_max_num_queries(4):
        response = admin_client_on_plant.get("/api/v1/work-orders/?product=NO-SUCH-SKU")
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/demand-events/",
        "/api/v1/stock/",
        "/api/v1/stock/ledger/",
        "/api/v1/work-orders/",
        "/api/v1/cards/",
        "/api/v1/loops/",
        "/api/v1/products/",
    ],
)
def test_big_lists_answer_in_fixed_queries(
    admin_client_on_plant: Client, django_assert_max_num_queries: Any, path: str
) -> None:
    with django_assert_max_num_queries(6):
        response = admin_client_on_plant.get(path, {"page_size": 1000})
    assert response.status_code == 200
    assert len(response.json()["results"]) >= 12
