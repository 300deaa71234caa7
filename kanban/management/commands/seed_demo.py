"""`python manage.py seed_demo`: a believable demo plant, the same on every run.

Five lines (two assembly lines for pumps and valves, three fabrication lines for
their components), 20 products with two-level BOMs and two bought-in parts from two
suppliers (kanban/management/demo_supply.py), two supermarkets, a warehouse and a
line-side location, a year of
daily demand history per finished product (trend, weekly rhythm, promotions,
noise; seeded), kanban loops sized from that history, a little of today's demand
pushed through the pull engine so the boards have work on them, and one user per
role. A second run finds the plant and changes nothing.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from kanban.management.demo_supply import supply_demo_build
from kanban.models import KanbanLoop
from kanban.services import demand_in_window, loop_create, loop_size
from kanban.sizing import recommended_card_count
from production.demo_history import DemandProfile, daily_demand
from production.models import (
    BomLine,
    DemandEvent,
    DemandStatus,
    Location,
    LocationKind,
    Product,
    ProductionLine,
)
from production.roles import INTEGRATION, OPERATOR, PLANNER
from production.services import demand_process_pending, demand_record

HISTORY_SOURCE = "demo-history"
TODAY_SOURCE = "demo-today"
HISTORY_DAYS = 365
SEED = 20261126
MARKER_LINE = "asm-pumps"

LINES = [
    # code, name, capacity per day, WIP limit
    ("asm-pumps", "Pump assembly", "120", 4),
    ("asm-valves", "Valve assembly", "200", 4),
    ("machining", "CNC machining", "600", 5),
    ("sheet-metal", "Sheet metal and paint", "400", 4),
    ("moulding", "Injection moulding", "1500", 3),
]

LOCATIONS = [
    ("sm-finished", "Finished-goods supermarket (dispatch)", LocationKind.SUPERMARKET),
    ("sm-components", "Component supermarket (assembly)", LocationKind.SUPERMARKET),
]


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    line: str
    container: str
    lead_days: str
    unit: str = "pcs"
    base_per_day: float = 0.0  # finished goods only: mean daily demand
    trend_per_year: float = 0.0
    bom: tuple[tuple[str, str], ...] = ()  # (component sku, quantity per)


COMPONENTS = [
    Item("C-SH-20", "Pump shaft 20 mm, stainless", "machining", "40", "2"),
    Item("C-IMP-150", "Impeller 150 mm, bronze", "machining", "20", "3"),
    Item("C-BALL-25", "Valve ball DN25, stainless", "machining", "40", "2"),
    Item("C-BALL-50", "Valve ball DN50, stainless", "machining", "30", "2"),
    Item("C-HSG-P", "Pump housing, powder coated", "sheet-metal", "20", "3"),
    Item("C-BRK-01", "Mounting bracket, galvanised", "sheet-metal", "60", "2"),
    Item("C-SEAL", "Seal kit, EPDM", "moulding", "100", "1", unit="kit"),
    Item("C-HANDLE", "Lever handle, glass-filled PA", "moulding", "50", "1"),
]

PUMP_PARTS = (("C-HSG-P", "1"), ("C-BRK-01", "2"), ("C-SEAL", "1"))
FINISHED = [
    Item(
        "P-CP-050",
        "Centrifugal pump CP-50",
        "asm-pumps",
        "4",
        "1.5",
        base_per_day=14,
        trend_per_year=0.25,
        bom=(*PUMP_PARTS, ("C-SH-20", "1"), ("C-IMP-150", "1")),
    ),
    Item(
        "P-CP-080",
        "Centrifugal pump CP-80",
        "asm-pumps",
        "4",
        "1.5",
        base_per_day=10,
        trend_per_year=0.1,
        bom=(*PUMP_PARTS, ("C-SH-20", "1"), ("C-IMP-150", "1")),
    ),
    Item(
        "P-CP-125",
        "Centrifugal pump CP-125",
        "asm-pumps",
        "2",
        "2",
        base_per_day=5,
        trend_per_year=-0.1,
        bom=(*PUMP_PARTS, ("C-IMP-150", "1")),
    ),
    Item(
        "P-SP-032",
        "Submersible pump SP-32",
        "asm-pumps",
        "4",
        "1.5",
        base_per_day=8,
        trend_per_year=0.4,
        bom=(("C-HSG-P", "1"), ("C-SEAL", "1"), ("C-SH-20", "1")),
    ),
    Item(
        "P-DP-020",
        "Diaphragm dosing pump DP-20",
        "asm-pumps",
        "5",
        "2",
        base_per_day=6,
        bom=(("C-HSG-P", "1"), ("C-SEAL", "2")),
    ),
    Item(
        "P-BP-040",
        "Booster pump set BP-40",
        "asm-pumps",
        "2",
        "3",
        base_per_day=3,
        trend_per_year=0.15,
        bom=(("C-HSG-P", "2"), ("C-BRK-01", "4"), ("C-SEAL", "2")),
    ),
    Item(
        "V-BV-025",
        "Ball valve DN25",
        "asm-valves",
        "10",
        "1",
        base_per_day=30,
        trend_per_year=0.05,
        bom=(("C-BALL-25", "1"), ("C-HANDLE", "1"), ("C-SEAL", "1")),
    ),
    Item(
        "V-BV-050",
        "Ball valve DN50",
        "asm-valves",
        "10",
        "1",
        base_per_day=18,
        trend_per_year=0.1,
        bom=(("C-BALL-50", "1"), ("C-HANDLE", "1"), ("C-SEAL", "1")),
    ),
    Item(
        "V-GV-080",
        "Gate valve DN80",
        "asm-valves",
        "5",
        "2",
        base_per_day=9,
        trend_per_year=-0.05,
        bom=(("C-BRK-01", "1"), ("C-SEAL", "1")),
    ),
    Item(
        "V-CV-040",
        "Check valve DN40",
        "asm-valves",
        "10",
        "1",
        base_per_day=16,
        bom=(("C-SEAL", "1"),),
    ),
    Item(
        "V-BF-100",
        "Butterfly valve DN100",
        "asm-valves",
        "5",
        "1.5",
        base_per_day=7,
        trend_per_year=0.2,
        bom=(("C-BRK-01", "1"), ("C-HANDLE", "1"), ("C-SEAL", "1")),
    ),
    Item(
        "V-SV-015",
        "Solenoid valve 1/2 inch",
        "asm-valves",
        "10",
        "1",
        base_per_day=22,
        trend_per_year=0.3,
        bom=(("C-SEAL", "1"),),
    ),
]

FINISHED_SAFETY = Decimal("0.25")
# Components see their parents' demand in whole containers: lumpier, so more safety.
COMPONENT_SAFETY = Decimal("0.5")

DEMO_USERS = [
    # username, password (demo only), role group, staff, superuser
    ("operator", "operator-demo", OPERATOR, False, False),
    ("planner", "planner-demo", PLANNER, True, False),
    ("integration", "integration-demo", INTEGRATION, False, False),
    ("admin", "admin-demo", None, True, True),
]


def history_seed(sku: str) -> int:
    """A stable per-product seed (Python's hash() changes between runs)."""
    return SEED ^ zlib.crc32(sku.encode())


def history_for(item: Item, *, first_day: date) -> list[tuple[date, int]]:
    """The product's demo history: (day, quantity) for every day with demand."""
    series = daily_demand(
        DemandProfile(base_per_day=item.base_per_day, trend_per_year=item.trend_per_year),
        days=HISTORY_DAYS,
        first_weekday=first_day.weekday(),
        seed=history_seed(item.sku),
    )
    return [
        (first_day + timedelta(days=i), int(q)) for i, q in enumerate(series.quantities) if q > 0
    ]


def demo_users_create() -> int:
    """One demo user per role (the plant builder makes them too); returns how many were new."""
    user_model = get_user_model()
    made = 0
    for username, password, role, staff, superuser in DEMO_USERS:
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={"is_staff": staff, "is_superuser": superuser},
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
            made += 1
        if role is not None:
            user.groups.add(Group.objects.get(name=role))
    return made


class Command(BaseCommand):
    help = "Build the demo plant (safe to run again: an existing plant is left as it is)."

    def handle(self, *args: Any, **options: Any) -> None:
        if ProductionLine.objects.filter(code=MARKER_LINE).exists():
            self.stdout.write("The demo plant is already there; nothing changed.")
        elif ProductionLine.objects.exists():
            # A real plant: no demo data and no demo logins beside it.
            self.stdout.write("This database has a plant of its own; seed_demo leaves it alone.")
            return
        else:
            with transaction.atomic():
                summary = self.build()
            self.stdout.write(self.style.SUCCESS(summary))
        self.print_logins()

    def build(self) -> str:
        lines = {
            code: ProductionLine.objects.create(
                code=code, name=name, capacity_per_day=Decimal(cap), wip_limit=wip
            )
            for code, name, cap, wip in LINES
        }
        places = {
            code: Location.objects.create(code=code, name=name, kind=kind)
            for code, name, kind in LOCATIONS
        }
        products: dict[str, Product] = {}
        for item, place in [(c, "sm-components") for c in COMPONENTS] + [
            (f, "sm-finished") for f in FINISHED
        ]:
            products[item.sku] = Product.objects.create(
                sku=item.sku,
                name=item.name,
                unit=item.unit,
                line=lines[item.line],
                supermarket=places[place],
                container_quantity=Decimal(item.container),
                lead_time_days=Decimal(item.lead_days),
            )
        BomLine.objects.bulk_create(
            BomLine(parent=products[f.sku], component=products[sku], quantity=Decimal(qty))
            for f in FINISHED
            for sku, qty in f.bom
        )

        now = timezone.now()
        today = now.date()
        events = self.write_history(products, first_day=today - timedelta(days=HISTORY_DAYS))
        loops = [self.open_loop(products[f.sku], FINISHED_SAFETY, now) for f in FINISHED]
        loops += [self.open_loop(products[c.sku], COMPONENT_SAFETY, now) for c in COMPONENTS]
        loops += supply_demo_build(products)  # suppliers, a warehouse, a line-side loop
        live = self.todays_demand(products, today=today, now=now)
        users = self.create_users()
        cards = sum(loop.cards.count() for loop in loops)
        return (
            f"Demo plant built: {len(lines)} lines, {len(products)} products "
            f"({len(FINISHED)} finished, {len(COMPONENTS)} made and "
            f"{len(products) - len(FINISHED) - len(COMPONENTS)} bought-in components), "
            f"{len(loops)} kanban "
            f"loops with {cards} cards, {events} days of demand history, {live} demand "
            f"events of today processed, {users} demo users."
        )

    def write_history(self, products: dict[str, Product], *, first_day: date) -> int:
        """A year of demand as history: already served, so it is not pushed through the engine."""
        rows = []
        for item in FINISHED:
            for day, quantity in history_for(item, first_day=first_day):
                at = datetime.combine(day, time(12, 0), tzinfo=UTC)
                rows.append(
                    DemandEvent(
                        product=products[item.sku],
                        quantity=Decimal(quantity),
                        occurred_at=at,
                        source=HISTORY_SOURCE,
                        external_id=f"hist-{item.sku}-{day.isoformat()}",
                        status=DemandStatus.FULFILLED,
                        processed_at=at,
                    )
                )
        DemandEvent.objects.bulk_create(rows, batch_size=2000)
        return len(rows)

    def open_loop(self, product: Product, safety: Decimal, now: datetime) -> KanbanLoop:
        """Size from the history first (the same inputs `loop_size` reads), then open the loop
        with that many full cards and store the sizing with `loop_size`."""
        window = KanbanLoop._meta.get_field("sizing_window_days").get_default()
        direct, dependent = demand_in_window(
            product_id=product.pk, start=now - timedelta(days=window), end=now
        )
        cards = recommended_card_count(
            daily_demand=((direct + dependent) / window).quantize(Decimal("0.001")),
            lead_time_days=product.lead_time_days,
            safety_factor=safety,
            container_quantity=product.container_quantity,
        )
        loop = loop_create(product=product, card_count=cards, safety_factor=safety)
        return loop_size(loop=loop, now=now)

    def todays_demand(self, products: dict[str, Product], *, today: date, now: datetime) -> int:
        """Part of today's orders, through the pull engine: containers in use, a few signals."""
        recorded = 0
        for item in FINISHED:
            series = daily_demand(
                DemandProfile(
                    base_per_day=item.base_per_day * (1 + item.trend_per_year), promotions=0
                ),
                days=1,
                first_weekday=today.weekday(),
                seed=history_seed(item.sku) + 1,
            )
            quantity = int(series.quantities[0]) // 3 or 1  # this morning's orders
            demand_record(
                product=products[item.sku],
                quantity=Decimal(quantity),
                occurred_at=now,
                external_id=f"today-{item.sku}-{today.isoformat()}",
                source=TODAY_SOURCE,
            )
            recorded += 1
        while demand_process_pending():
            pass
        return recorded

    def create_users(self) -> int:
        return demo_users_create()

    def print_logins(self) -> None:
        self.stdout.write("Demo logins (demo only, change or delete them on a real system):")
        for username, password, role, _, _ in DEMO_USERS:
            self.stdout.write(f"  {role or 'admin':<12} {username} / {password}")
