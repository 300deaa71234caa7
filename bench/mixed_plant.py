"""The pull benchmark's mixed plant: a third of its loops are supplier or transfer loops.

As many loops as the production-only plant it is compared with (`loops`), so the two runs
differ in the loops' sources only: two thirds on one pull line (loops at its supermarket, as
the production-only run), one third purchased products, split between supplier loops
(call-offs to one supplier) and transfer loops at a line-side location (transfer orders from
a warehouse), half each: with `loops` = 20, 14 + 3 + 3. Demand for a transfer loop's product
names the line-side location, so it drains that loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass
class MixedPlant:
    products: list[Any]
    places: dict[int, Any]  # product id -> the location its demand names (transfer loops)
    sources: dict[str, int]  # loops per source


def build_mixed_plant(loops: int, cards: int, prefix: str = "MX") -> MixedPlant:
    from kanban.services import loop_create
    from production.models import Location, LocationKind, Product
    from production.supply.models import Supplier
    from tests.bulk_plant import build_pull_loops

    sourced = loops // 3
    production = loops - sourced
    made = build_pull_loops(
        production, prefix=prefix, cards=cards, container_quantity=Decimal("10"), with_bom=False
    ).products
    supplier = Supplier.objects.create(
        code=f"{prefix.lower()}-supplier", name="Bench supplier", lead_time_days=Decimal("2")
    )
    warehouse = Location.objects.create(
        code=f"{prefix.lower()}-wh", name="Bench warehouse", kind=LocationKind.WAREHOUSE
    )
    line_side = Location.objects.create(
        code=f"{prefix.lower()}-ls", name="Bench line side", kind=LocationKind.LINE_SIDE
    )
    products, places = list(made), {}
    for n in range(sourced):
        by_transfer = n % 2 == 1
        product = Product.objects.create(
            sku=f"{prefix}-B{n:04d}",
            name=f"{prefix} bought {n}",
            line=None,
            supermarket=warehouse,
            container_quantity=Decimal("10"),
            lead_time_days=Decimal("2"),
        )
        if by_transfer:
            loop_create(
                product=product,
                location=line_side,
                card_count=cards,
                source="transfer",
                source_location=warehouse,
                transfer_lead_time_days=Decimal("0.5"),
            )
            places[product.pk] = line_side
        else:
            loop_create(product=product, card_count=cards, source="supplier", supplier=supplier)
        products.append(product)
    transfers = len(places)
    return MixedPlant(
        products,
        places,
        {"production": production, "supplier": sourced - transfers, "transfer": transfers},
    )
