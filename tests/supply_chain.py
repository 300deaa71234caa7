"""A small supply chain: supplier -> warehouse -> line-side, for one bought-in part.

P-200 has no line (it is bought). Its warehouse loop (2 cards of 10) is replenished by
call-offs to `acme` (lead time 2 days); its line-side loop (2 cards of 5) by transfers
from the warehouse (lead time 0.5 day). Demand at the line side drains the line-side loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db.models import Sum

from kanban.models import KanbanLoop
from kanban.services import loop_create
from production.models import Location, Product, StockLevel, StockMove
from production.supply.models import CallOff, Supplier
from tests.factories import LocationFactory, ProductFactory


@dataclass
class Chain:
    supplier: Supplier
    warehouse: Location
    line_side: Location
    part: Product
    warehouse_loop: KanbanLoop
    line_side_loop: KanbanLoop


@pytest.fixture
def chain(db) -> Chain:  # type: ignore[no-untyped-def]
    supplier = Supplier.objects.create(
        code="acme", name="Acme Fasteners", lead_time_days=Decimal("2"), email="orders@acme.test"
    )
    warehouse = LocationFactory(code="wh", kind="warehouse")
    line_side = LocationFactory(code="ls-1", kind="line_side")
    part = ProductFactory(
        sku="P-200", line=None, supermarket=warehouse, container_quantity=Decimal("10")
    )
    warehouse_loop = loop_create(product=part, card_count=2, source="supplier", supplier=supplier)
    line_side_loop = loop_create(
        product=part,
        location=line_side,
        container_quantity=Decimal("5"),
        card_count=2,
        source="transfer",
        source_location=warehouse,
        transfer_lead_time_days=Decimal("0.5"),
    )
    return Chain(supplier, warehouse, line_side, part, warehouse_loop, line_side_loop)


def on_hand(chain: Chain, location: Location) -> Decimal:
    return StockLevel.objects.get(product=chain.part, location=location).on_hand


def ledger(chain: Chain, location: Location) -> Decimal:
    """The sum of the part's moves there: equal to `on_hand` when the ledger holds."""
    moves = StockMove.objects.filter(product=chain.part, location=location)
    return moves.aggregate(total=Sum("quantity"))["total"]


def shipped_call_off(chain: Chain) -> CallOff:
    """A warehouse container scrapped, so its card signals; its call-off confirmed and shipped."""
    from production.services import stock_adjust
    from production.supply.services import call_off_confirm, call_off_ship

    stock_adjust(
        product=chain.part,
        location=chain.warehouse,
        delta=Decimal("-10"),
        reason="scrap",
        actor_id=None,
    )
    call_off = CallOff.objects.get()
    call_off_confirm(call_off_id=call_off.pk, actor_id=None)
    return call_off_ship(call_off_id=call_off.pk, actor_id=None)
