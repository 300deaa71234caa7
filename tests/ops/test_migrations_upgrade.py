"""An existing database upgrades across every migration since the first release.

The test database is taken back to the first migration of each app (production 0001,
kanban 0001), filled there with a small plant through the models as they were then, and
migrated forward to the latest; every row is still there, with what later migrations added.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

FIRST = [("production", "0001_initial"), ("kanban", "0001_initial")]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)  # a fresh loader sees what is applied now


def _latest() -> list[tuple[str, str]]:
    graph = MigrationExecutor(connection).loader.graph
    return [node for node in graph.leaf_nodes() if node[0] in {"production", "kanban"}]


@pytest.mark.django_db(transaction=True)
def test_a_database_from_the_first_release_upgrades_with_its_rows() -> None:
    latest = _latest()
    executor = _migrate(FIRST)
    old = executor.loader.project_state(FIRST).apps
    now = timezone.now()

    Line = old.get_model("production", "ProductionLine")
    Location = old.get_model("production", "Location")
    Product = old.get_model("production", "Product")
    StockLevel = old.get_model("production", "StockLevel")
    StockMove = old.get_model("production", "StockMove")
    WorkOrder = old.get_model("production", "WorkOrder")
    DemandEvent = old.get_model("production", "DemandEvent")
    Loop = old.get_model("kanban", "KanbanLoop")
    Card = old.get_model("kanban", "KanbanCard")

    line = Line.objects.create(code="assembly", name="Assembly", capacity_per_day=100, wip_limit=3)
    market = Location.objects.create(code="sm-1", name="Supermarket")
    product = Product.objects.create(
        sku="P-1",
        name="Pump",
        line=line,
        supermarket=market,
        container_quantity=Decimal("5"),
        lead_time_days=Decimal("2"),
    )
    StockLevel.objects.create(product=product, location=market, on_hand=Decimal("10"))
    StockMove.objects.create(product=product, location=market, kind="opening", quantity=10)
    order = WorkOrder.objects.create(
        product=product, line=line, location=market, quantity=5, origin="kanban", due_at=now
    )
    DemandEvent.objects.create(
        product=product, quantity=2, occurred_at=now, external_id="SO-1", processed_at=now
    )
    loop = Loop.objects.create(product=product, location=market, container_quantity=5)
    for number, status in ((1, "full"), (2, "empty")):
        Card.objects.create(
            loop=loop,
            number=number,
            status=status,
            remaining_quantity=5 if status == "full" else 0,
            status_changed_at=now,
            work_order=order if status == "empty" else None,
        )

    executor = _migrate(latest)
    assert not executor.migration_plan(latest)  # everything applied
    new = executor.loader.project_state(latest).apps

    product = new.get_model("production", "Product").objects.get(sku="P-1")
    assert product.line.code == "assembly" and product.supermarket.code == "sm-1"
    assert product.service_level == Decimal("0.95")  # added by a later migration, defaulted
    assert new.get_model("production", "StockLevel").objects.get().on_hand == Decimal("10")
    assert new.get_model("production", "StockMove").objects.get().quantity == Decimal("10")
    upgraded = new.get_model("production", "WorkOrder").objects.get()
    assert (upgraded.status, upgraded.due_at, upgraded.origin) == (
        "planned",
        order.due_at,
        "kanban",
    )
    event = new.get_model("production", "DemandEvent").objects.get()
    assert (event.external_id, event.processed_at) == ("SO-1", now)
    cards = new.get_model("kanban", "KanbanCard").objects.order_by("number")
    assert [(c.status, c.remaining_quantity, c.work_order_id) for c in cards] == [
        ("full", Decimal("5"), None),
        ("empty", Decimal("0"), upgraded.pk),
    ]
    groups = set(new.get_model("auth", "Group").objects.values_list("name", flat=True))
    assert {"operator", "planner", "integration"} <= groups  # the roles' migration ran
