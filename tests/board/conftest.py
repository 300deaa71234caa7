"""Fixtures of the shop-floor board tests: a logged-in client per role, a line of cards."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from kanban.services import loop_create
from tests.factories import LineFactory, LocationFactory, ProductFactory


@pytest.fixture
def operator_client(operator) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(operator)
    return client


@pytest.fixture
def planner_client(planner) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(planner)
    return client


@pytest.fixture
def make_line(db):  # type: ignore[no-untyped-def]
    """A pull line with `products` products, each with a loop of `cards` full cards."""

    def make(*, code: str = "big", products: int = 2, cards: int = 3, wip_limit: int = 5):  # type: ignore[no-untyped-def]
        line = LineFactory(code=code, wip_limit=wip_limit)
        supermarket = LocationFactory()
        loops = []
        for i in range(products):
            product = ProductFactory(
                sku=f"{code.upper()}-{i:03d}",
                line=line,
                supermarket=supermarket,
                container_quantity=Decimal("5"),
            )
            loops.append(loop_create(product=product, card_count=cards))
        return line, loops

    return make
