"""Two imports at once that share a key, raced for real on PostgreSQL: one opens the loop
(its opening stock booked once), the other is refused as a whole, naming the row and the
column, and leaves none of its other rows behind."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
import tablib
from django.conf import settings

from kanban import resources as loop_resources
from kanban.models import KanbanLoop
from production.masterdata.services import ImportReport, masterdata_import
from production.models import Location, MoveKind, StockLevel, StockMove
from tests.factories import ProductFactory
from tests.test_races import run_in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.USES_POSTGRES, reason="row locks need PostgreSQL"),
]
LOOP_COLUMNS = ["product", "location", "container_quantity", "card_count", "safety_factor"]


def test_two_imports_opening_the_same_loop_book_its_stock_once(plant, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ProductFactory(sku="N-1", line=plant.fab, supermarket=plant.supermarket)
    opened = loop_resources.loops_open

    def slowly(*args: Any, **kwargs: Any) -> Any:
        loops = opened(*args, **kwargs)
        time.sleep(0.4)  # both imports have read "no loop yet"; the first holds its row
        return loops

    monkeypatch.setattr(loop_resources, "loops_open", slowly)
    reports: dict[str, ImportReport] = {}

    def importer(name: str, cards: int) -> Any:
        def job() -> None:
            reports[name] = masterdata_import(
                sheets={
                    "locations": tablib.Dataset(
                        [f"sm-{name}", name, "store"], headers=["code", "name", "kind"]
                    ),
                    "loops": tablib.Dataset(
                        ["N-1", "sm-main", "10", str(cards), "0.2"], headers=LOOP_COLUMNS
                    ),
                },
                dry_run=False,
            )

        return job

    assert run_in_threads([importer("a", 3), importer("b", 4)]) == []

    applied = [name for name, report in reports.items() if report.applied]
    assert len(applied) == 1
    (refused,) = {"a", "b"} - set(applied)
    (row,) = reports[refused].sheets[1].rows
    assert row.row == 2 and row.status == "error"
    # The loser waits for the winner's loop (its stock level is the guard), then finds it.
    assert row.errors[0][0] == "product" and "already has a loop" in row.errors[0][1]
    assert not Location.objects.filter(code=f"sm-{refused}").exists()
    cards = 3 if applied == ["a"] else 4
    opening = StockMove.objects.get(product__sku="N-1", kind=MoveKind.OPENING)
    assert opening.quantity == Decimal(10 * cards)
    assert StockLevel.objects.get(product__sku="N-1").on_hand == Decimal(10 * cards)
    assert KanbanLoop.objects.get(product__sku="N-1").cards.count() == cards
