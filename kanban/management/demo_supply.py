"""The demo plant's supply side (`seed_demo`): two suppliers with bought-in components in
a warehouse, and a warehouse -> line-side transfer loop, with a little demand through the
pull engine so a call-off and a transfer order are open on a fresh `make run`."""

from __future__ import annotations

from decimal import Decimal

from kanban.models import KanbanLoop
from kanban.services import loop_create
from production.models import BomLine, Location, LocationKind, Product
from production.services import demand_process_pending, demand_record
from production.supply.models import Supplier

SOURCE = "demo-today"

SUPPLIERS = [
    # code, name, lead time (days), e-mail
    ("acme-fasteners", "Acme Fasteners Ltd", "3", "orders@acme-fasteners.example"),
    ("nordic-seals", "Nordic Seals AB", "5", "calloffs@nordic-seals.example"),
]
PLACES = [
    ("wh-main", "Main warehouse (bought-in parts)", LocationKind.WAREHOUSE),
    ("ls-pumps", "Line side, pump assembly", LocationKind.LINE_SIDE),
]
# sku, name, supplier, container, cards in the warehouse, used in (parent sku, quantity per)
BOUGHT = [
    ("B-BOLT-M8", "Hex bolt M8x30, A2", "acme-fasteners", "100", 4, ("P-CP-050", "4")),
    ("B-ORING-40", "O-ring 40 mm, FKM", "nordic-seals", "50", 3, ("V-BV-025", "2")),
]


def supply_demo_build(products: dict[str, Product]) -> list[KanbanLoop]:
    """Suppliers, bought-in parts and their loops; returns the loops opened."""
    suppliers = {
        code: Supplier.objects.create(
            code=code, name=name, lead_time_days=Decimal(days), email=email
        )
        for code, name, days, email in SUPPLIERS
    }
    places = {
        code: Location.objects.create(code=code, name=name, kind=kind)
        for code, name, kind in PLACES
    }
    loops = []
    for sku, name, supplier, container, cards, (parent, per) in BOUGHT:
        part = Product.objects.create(
            sku=sku,
            name=name,
            line=None,  # bought, not made
            supermarket=places["wh-main"],
            container_quantity=Decimal(container),
            lead_time_days=suppliers[supplier].lead_time_days,
        )
        products[sku] = part
        BomLine.objects.create(parent=products[parent], component=part, quantity=Decimal(per))
        loops.append(
            loop_create(
                product=part, card_count=cards, source="supplier", supplier=suppliers[supplier]
            )
        )
    loops.append(
        loop_create(  # bolts at the pump line, fetched from the warehouse
            product=products["B-BOLT-M8"],
            location=places["ls-pumps"],
            container_quantity=Decimal("50"),
            card_count=2,
            source="transfer",
            source_location=places["wh-main"],
            transfer_lead_time_days=Decimal("0.25"),
        )
    )
    _todays_use(products, places)
    return loops


def _todays_use(products: dict[str, Product], places: dict[str, Location]) -> None:
    """This morning's use: bolts at the line side (a transfer), O-rings from the warehouse
    (a call-off)."""
    demand_record(
        product=products["B-BOLT-M8"],
        quantity=Decimal("60"),
        external_id="today-line-side-bolts",
        source=SOURCE,
        location=places["ls-pumps"],
    )
    demand_record(
        product=products["B-ORING-40"],
        quantity=Decimal("55"),
        external_id="today-o-rings",
        source=SOURCE,
    )
    while demand_process_pending():
        pass
