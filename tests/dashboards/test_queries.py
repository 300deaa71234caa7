"""The line dashboard's query count: fixed whatever the history holds, and each CSV export
runs only the queries of its own table (it used to recompute the whole dashboard)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from production.models import (
    DemandEvent,
    MoveKind,
    Product,
    ProductionLine,
    StockMove,
    WorkOrder,
    WorkOrderOrigin,
    WorkOrderStatus,
)

# Queries of one export, the session and the user's roles included (about 4 of them).
EXPORT_CAPS = {"kpis": 16, "flow": 14, "lead-times": 7, "little": 16, "cards": 5, "ageing": 5}


@pytest.fixture
def planner_client(planner) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(planner)
    return client


def _more_history(line: ProductionLine, days: int) -> None:
    """`days` more done orders, demand events and moves, one a day back to a year ago."""
    now = timezone.now()
    products = list(Product.objects.filter(line=line))
    orders, events, moves = [], [], []
    for i in range(days):
        product = products[i % len(products)]
        when = now - timedelta(days=i % 360 + 1, hours=3)
        orders.append(
            WorkOrder(
                product=product,
                line=line,
                location=product.supermarket,
                quantity=product.container_quantity,
                origin=WorkOrderOrigin.KANBAN,
                status=WorkOrderStatus.DONE,
                released_at=when,
                started_at=when,
                completed_at=when + timedelta(hours=2),
            )
        )
        events.append(
            DemandEvent(
                product=product, quantity=Decimal(1), occurred_at=when, external_id=f"x{days}-{i}"
            )
        )
        moves.append(
            StockMove(
                product=product,
                location=product.supermarket,
                kind=MoveKind.RECEIPT,
                quantity=Decimal(1),
            )
        )
    WorkOrder.objects.bulk_create(orders)
    DemandEvent.objects.bulk_create(events)
    StockMove.objects.bulk_create(moves)


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


def test_page_queries_do_not_grow_with_the_history(cell, planner_client) -> None:  # type: ignore[no-untyped-def]
    paths = ["/dashboards/lines/cell/?days=28", "/dashboards/lines/cell/?days=365"]
    _more_history(cell, 30)  # enough orders in either window for every figure
    before = [_queries(planner_client, p) for p in paths]
    _more_history(cell, 300)
    assert [_queries(planner_client, p) for p in paths] == before
    assert max(before) <= 20


@pytest.mark.parametrize("table", sorted(EXPORT_CAPS))
def test_each_export_computes_only_its_table(cell, planner_client, table) -> None:  # type: ignore[no-untyped-def]
    path = f"/dashboards/lines/cell/export/{table}.csv?days=365"
    _more_history(cell, 30)
    before = _queries(planner_client, path)
    assert before <= EXPORT_CAPS[table]
    _more_history(cell, 300)
    assert _queries(planner_client, path) == before


@pytest.mark.parametrize("days", ["abc", "0", "367", "-3", "2.5"])
def test_a_bad_window_is_a_400_naming_days(cell, planner_client, days) -> None:  # type: ignore[no-untyped-def]
    for path in ("/dashboards/lines/cell/", "/dashboards/lines/cell/export/flow.csv"):
        response = planner_client.get(path, {"days": days})
        assert response.status_code == 400, path
        assert "Days: give a whole number of days, from 1 to 366." in response.content.decode()
    assert planner_client.get("/dashboards/lines/cell/", {"days": "366"}).status_code == 200
