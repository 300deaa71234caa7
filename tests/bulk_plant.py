"""Many loops at once, for query-count tests of set-based work: the same plant at 20 and 200.

Built in bulk (a handful of statements whatever the size), with a balanced ledger: each
loop's cards are full, its level holds what the cards hold and an opening move says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from kanban.models import CardStatus, KanbanCard, KanbanLoop
from production.models import (
    BomLine,
    DemandEvent,
    Location,
    MoveKind,
    Product,
    ProductionLine,
    StockLevel,
    StockMove,
)


@dataclass
class BulkPlant:
    line: ProductionLine
    supermarket: Location
    products: list[Product]
    loops: list[KanbanLoop]


def build_pull_loops(
    count: int,
    *,
    prefix: str = "B",
    cards: int = 3,
    container_quantity: Decimal = Decimal("5"),
    with_bom: bool = True,
) -> BulkPlant:
    """`count` products on one pull line, each with a loop of `cards` full cards.

    With `with_bom`, every even product is made from the odd one after it (2 per unit),
    so sizing has a BOM to walk.
    """
    line = ProductionLine.objects.create(
        code=f"{prefix.lower()}-line",
        name=f"{prefix} line",
        capacity_per_day=Decimal("1000"),
        wip_limit=50,
    )
    supermarket = Location.objects.create(code=f"{prefix.lower()}-sm", name=f"{prefix} market")
    products = Product.objects.bulk_create(
        Product(
            sku=f"{prefix}-{n:05d}",
            name=f"{prefix} product {n}",
            line=line,
            supermarket=supermarket,
            container_quantity=container_quantity,
            lead_time_days=Decimal("2"),
        )
        for n in range(count)
    )
    if with_bom:
        BomLine.objects.bulk_create(
            BomLine(parent=products[n], component=products[n + 1], quantity=Decimal("2"))
            for n in range(0, count - 1, 2)
        )
    loops = KanbanLoop.objects.bulk_create(
        KanbanLoop(product=p, location=supermarket, container_quantity=container_quantity)
        for p in products
    )
    now = timezone.now()
    KanbanCard.objects.bulk_create(
        KanbanCard(
            loop=loop,
            number=n,
            status=CardStatus.FULL,
            remaining_quantity=container_quantity,
            status_changed_at=now,
        )
        for loop in loops
        for n in range(1, cards + 1)
    )
    StockLevel.objects.bulk_create(
        StockLevel(product=p, location=supermarket, on_hand=container_quantity * cards)
        for p in products
    )
    StockMove.objects.bulk_create(
        StockMove(
            product=p,
            location=supermarket,
            kind=MoveKind.OPENING,
            quantity=container_quantity * cards,
        )
        for p in products
    )
    return BulkPlant(line, supermarket, products, loops)


def add_demand_history(
    plant: BulkPlant, *, days: int = 28, quantity: Decimal = Decimal("3")
) -> None:
    """One processed event a day per product over the last `days` days."""
    now = timezone.now()
    DemandEvent.objects.bulk_create(
        DemandEvent(
            product=p,
            quantity=quantity,
            occurred_at=now - timedelta(days=day, hours=1),
            source="history",
            external_id=f"{p.sku}-{day}",
            processed_at=now,
            status="fulfilled",
        )
        for p in plant.products
        for day in range(days)
    )
