"""A tiny plant from the plant builder: hundreds of rows of every kind, with real history."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from kanban.plant import build_plant


@pytest.fixture
def tiny_plant(db: None) -> dict[str, int]:
    return build_plant(scale="tiny", trusted=False)


CROWD = 30_000


@pytest.fixture
def crowded_plant(tiny_plant: dict[str, int]) -> dict[str, int]:
    """The tiny plant with a busy product's long history besides: its 30,000 more demand
    events, stock moves (+1/-1 counts, so the ledger still balances) and done work orders make
    the other products' rows rare, as they are on a real plant, so PostgreSQL plans as it does
    there (ANALYZE included)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, line_id, supermarket_id FROM production_product ORDER BY id LIMIT 1"
        )
        product, line, location = cursor.fetchone()
        params = {"product": product, "line": line, "location": location, "n": CROWD}
        cursor.execute(
            """
            INSERT INTO production_demandevent
                (product_id, quantity, occurred_at, source, external_id, status,
                 backordered_quantity, open_backorder_quantity, processed_at, created_at)
            SELECT %(product)s, 1, now() - g * interval '1 minute', 'crowd', 'crowd-' || g,
                   'fulfilled', 0, 0, now(), now() - g * interval '1 minute'
            FROM generate_series(1, %(n)s) g
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO production_stockmove
                (product_id, location_id, kind, quantity, note, created_at)
            SELECT %(product)s, %(location)s, 'adjustment',
                   CASE WHEN g %% 2 = 0 THEN 1 ELSE -1 END, 'count', now()
            FROM generate_series(1, %(n)s) g
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO production_workorder
                (product_id, line_id, location_id, quantity, origin, status, version,
                 plan_explanation, created_at, completed_at)
            SELECT %(product)s, %(line)s, %(location)s, 1, 'manual', 'done', 4, '{}', now(), now()
            FROM generate_series(1, %(n)s) g
            """,
            params,
        )
        for table in ("production_demandevent", "production_stockmove", "production_workorder"):
            cursor.execute(f"ANALYZE {table}")
    return tiny_plant


@pytest.fixture
def admin_client_on_plant(tiny_plant: dict[str, int]) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    return client


@pytest.fixture
def planner_client_on_plant(tiny_plant: dict[str, int]) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username="planner"))
    return client


def sql_of(captured: Any, table: str) -> list[str]:
    """The captured statements that read `table`."""
    return [q["sql"] for q in captured.captured_queries if f'FROM "{table}"' in q["sql"]]
