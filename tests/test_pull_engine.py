"""The pull engine through its services: consumption, signals, backorders, the BOM cascade."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kanban.models import CardStatus, KanbanCard
from production.models import DemandEvent, DemandStatus, StockLevel, WorkOrder
from production.services import demand_process_pending, demand_record

pytestmark = pytest.mark.django_db


def on_hand(product) -> Decimal:  # type: ignore[no-untyped-def]
    return StockLevel.objects.get(product=product, location=product.supermarket).on_hand


def statuses(loop) -> list[str]:  # type: ignore[no-untyped-def]
    return list(loop.cards.order_by("number").values_list("status", flat=True))


def test_demand_consumes_the_open_container_first_then_full_ones(plant):  # type: ignore[no-untyped-def]
    demand_record(product=plant.finished, quantity=Decimal("3"), external_id="a")
    demand_process_pending()
    assert statuses(plant.finished_loop) == ["in_use", "full", "full"]
    demand_record(product=plant.finished, quantity=Decimal("4"), external_id="b")
    demand_process_pending()
    assert statuses(plant.finished_loop) == ["empty", "in_use", "full"]
    card2 = plant.finished_loop.cards.get(number=2)
    assert card2.remaining_quantity == Decimal("3")
    assert on_hand(plant.finished) == Decimal("8")
