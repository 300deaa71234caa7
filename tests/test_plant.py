"""The plant builder: a real plant's shape on demand, with a balanced ledger."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q, Sum

from kanban.models import CardStatus, KanbanCard, KanbanLoop, PullSignal
from kanban.plant import build_plant, planning
from production.models import (
    DemandEvent,
    ProductionLine,
    StockLevel,
    StockMove,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderStatus,
)
from production.reconcile import reconcile

pytestmark = pytest.mark.django_db


@pytest.fixture
def plant() -> dict[str, int]:
    # Untrusted: every foreign key is checked by PostgreSQL (SET CONSTRAINTS ALL IMMEDIATE).
    return build_plant(scale="tiny", trusted=False)


def test_tiny_plant_has_the_shape_asked_for(plant: dict[str, int]) -> None:
    assert ProductionLine.objects.count() == 3
    assert ProductionLine.objects.filter(mode="push").count() == 1
    assert KanbanLoop.objects.count() == 12
    assert KanbanCard.objects.count() == 12 * 3
    assert DemandEvent.objects.count() == 600
    assert plant["production_demandevent"] == 600
    assert WorkOrder.objects.count() > 12
    # Every order has the events of the steps it went through.
    assert (
        WorkOrderEvent.objects.count()
        == (
            WorkOrder.objects.aggregate(
                n=Count("id")
                + Count("id", filter=Q(status__in=["done", "in_progress"])) * 2
                + Count("id", filter=Q(status__in=["done", "cancelled"]))
            )["n"]
        )
    )
    kinds = set(StockMove.objects.values_list("kind", flat=True).distinct())
    assert {"opening", "consumption", "receipt"} <= kinds


def test_levels_equal_the_ledger_and_cards_hold_what_is_on_hand(plant: dict[str, int]) -> None:
    ledger = {
        (row["product_id"], row["location_id"]): row["total"]
        for row in StockMove.objects.order_by()
        .values("product_id", "location_id")
        .annotate(total=Sum("quantity"))
    }
    levels = list(StockLevel.objects.all())
    assert len(levels) == 12
    for level in levels:
        assert ledger[(level.product_id, level.location_id)] == level.on_hand
        assert level.on_hand >= 0
    for loop in KanbanLoop.objects.all():
        held = loop.cards.filter(status__in=[CardStatus.FULL, CardStatus.IN_USE]).aggregate(
            total=Sum("remaining_quantity")
        )["total"]
        level = StockLevel.objects.get(product_id=loop.product_id, location_id=loop.location_id)
        assert held == level.on_hand


def test_open_cards_have_their_orders_and_nothing_waits(plant: dict[str, int]) -> None:
    open_cards = KanbanCard.objects.filter(status__in=[CardStatus.EMPTY, CardStatus.IN_PROCESS])
    assert open_cards.exists()
    for card in open_cards.select_related("work_order"):
        assert card.work_order is not None
        expected = (
            WorkOrderStatus.PLANNED
            if card.status == CardStatus.EMPTY
            else WorkOrderStatus.IN_PROGRESS
        )
        assert card.work_order.status == expected
        assert PullSignal.objects.filter(work_order=card.work_order, fulfilled_at=None).exists()
    assert not DemandEvent.objects.filter(processed_at=None).exists()
    assert KanbanCard.objects.filter(status=CardStatus.IN_USE, remaining_quantity__gt=0).exists()
    assert not KanbanCard.objects.filter(
        status=CardStatus.FULL, remaining_quantity=Decimal("0")
    ).exists()


def test_the_reconciler_finds_nothing_to_fix(plant: dict[str, int]) -> None:
    report = reconcile()
    assert report == {"requeued_events": 0, "levels_repaired": [], "policy_findings": []}


def test_the_command_refuses_a_database_with_a_plant(plant: dict[str, int]) -> None:
    with pytest.raises(CommandError, match="already has production lines"):
        call_command("seed_plant", "--scale", "tiny", stdout=StringIO())


def _event_table_indexes() -> set[tuple[str, str, str]]:
    from django.db import connection

    from kanban.plant import EVENT_TABLES

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
            [list(EVENT_TABLES)],
        )
        return set(cursor.fetchall())


def test_a_trusted_build_leaves_every_index_of_the_schema_and_a_balanced_ledger() -> None:
    # The fast path drops the event tables' secondary indexes while they fill (keeping
    # those the rows arrive in order of) and builds them after: the schema comes out whole.
    before = _event_table_indexes()
    build_plant(scale="tiny", trusted=True)
    assert _event_table_indexes() == before
    assert reconcile() == {"requeued_events": 0, "levels_repaired": [], "policy_findings": []}
    external = list(DemandEvent.objects.order_by("id").values_list("external_id", flat=True))
    assert external == sorted(external)  # the idempotency index is appended to


def test_the_plant_has_a_planning_history_to_measure_the_planning_pages_on(
    plant: dict[str, int],
) -> None:
    from production.comparisons.models import Comparison, ComparisonStatus
    from production.models import LineModeSwitch, Product
    from production.planning.models import ForecastRun, ProductForecast, PushPlan

    assert ProductForecast.objects.count() == Product.objects.count() == 12
    assert ForecastRun.objects.filter(status="done").count() == planning.FORECAST_RUNS
    push = ProductionLine.objects.get(mode="push")
    assert LineModeSwitch.objects.filter(line=push, to_mode="push").count() == 1
    plans = PushPlan.objects.filter(line=push)
    assert plans.count() == planning.PLAN_DAYS
    # One row per product of the line and day; the push orders of those days are tied in.
    products = Product.objects.filter(line=push).count()
    assert all(p.lines.count() == products for p in plans)
    assert plans.filter(lines__work_order__isnull=False).exists()
    assert all(p.load == sum(row.quantity for row in p.lines.all()) for p in plans)
    # Nothing of today: the daily and nightly tasks still have their work.
    from django.utils import timezone

    assert not plans.filter(period_start=timezone.localdate()).exists()
    shadows = Comparison.objects.filter(status=ComparisonStatus.DONE, kind="shadow")
    assert shadows.count() == planning.SHADOW_NIGHTS * ProductionLine.objects.count()
    assert all(c.results["policies"] for c in shadows[:3])
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    assert not shadows.filter(created_at__gte=midnight).exists()
