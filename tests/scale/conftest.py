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
