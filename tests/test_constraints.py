"""What the database enforces by itself: every check and unique constraint of the models,
written around the services, must be refused by PostgreSQL (or SQLite) with an IntegrityError.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kanban.models import KanbanCard, KanbanLoop
from production.models import (
    BomLine,
    DemandEvent,
    LineModeSwitch,
    Location,
    Product,
    ProductionLine,
    StockLevel,
    StockMove,
    WorkOrder,
)
from production.supply.models import Supplier
from tests.factories import LocationFactory, ProductFactory

pytestmark = pytest.mark.django_db


def refused(create: Callable[[], Any], constraint: str) -> None:
    """The insert or update fails on the named constraint and leaves nothing behind."""
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        create()
    # PostgreSQL names the constraint; SQLite names the check for CHECKs only.
    message = str(caught.value)
    if "UNIQUE constraint failed" not in message:
        assert constraint in message


def line_kwargs(**overrides: Any) -> dict[str, Any]:
    values = {
        "code": "new-line",
        "name": "New line",
        "capacity_per_day": Decimal("10"),
        "wip_limit": 2,
    }
    return values | overrides


# --- Production lines --------------------------------------------------------------


def test_a_valid_line_is_accepted() -> None:
    ProductionLine.objects.create(**line_kwargs())
    assert ProductionLine.objects.filter(code="new-line").exists()


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"capacity_per_day": Decimal("0")}, "line_capacity_positive"),
        ({"capacity_per_day": Decimal("-5")}, "line_capacity_positive"),
        ({"wip_limit": 0}, "line_wip_limit_positive"),
        ({"mode": "kanban"}, "line_mode_valid"),
    ],
)
def test_line_checks(overrides: dict[str, Any], constraint: str) -> None:
    refused(lambda: ProductionLine.objects.create(**line_kwargs(**overrides)), constraint)
    assert not ProductionLine.objects.filter(code="new-line").exists()


def test_line_code_is_unique(plant) -> None:  # type: ignore[no-untyped-def]
    refused(lambda: ProductionLine.objects.create(**line_kwargs(code="assembly")), "code")


def test_a_mode_switch_must_change_the_mode(plant) -> None:  # type: ignore[no-untyped-def]
    refused(
        lambda: LineModeSwitch.objects.create(
            line=plant.assembly,
            from_mode="pull",
            to_mode="pull",
            reason="no-op",
            effective_at=timezone.now(),
        ),
        "mode_switch_changes_mode",
    )


# --- Products and BOMs ---------------------------------------------------------------


def test_sku_is_unique(plant) -> None:  # type: ignore[no-untyped-def]
    refused(
        lambda: Product.objects.create(
            sku="F-100",
            name="Duplicate",
            line=plant.assembly,
            supermarket=plant.supermarket,
            container_quantity=Decimal("1"),
            lead_time_days=Decimal("1"),
        ),
        "sku",
    )


@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [
        ("container_quantity", Decimal("0"), "product_container_quantity_positive"),
        ("container_quantity", Decimal("-1"), "product_container_quantity_positive"),
        ("lead_time_days", Decimal("0"), "product_lead_time_positive"),
        ("service_level", Decimal("0"), "product_service_level_between_0_and_1"),
        ("service_level", Decimal("1"), "product_service_level_between_0_and_1"),
        ("fixed_lot_quantity", Decimal("0"), "product_fixed_lot_positive"),
    ],
)
def test_product_checks(plant, field: str, value: Decimal, constraint: str) -> None:  # type: ignore[no-untyped-def]
    refused(
        lambda: Product.objects.filter(pk=plant.finished.pk).update(**{field: value}), constraint
    )
    plant.finished.refresh_from_db()
    assert getattr(plant.finished, field) != value


def test_a_product_without_a_fixed_lot_is_fine(plant) -> None:  # type: ignore[no-untyped-def]
    Product.objects.filter(pk=plant.finished.pk).update(fixed_lot_quantity=None)
    plant.finished.refresh_from_db()
    assert plant.finished.fixed_lot_quantity is None


def test_a_component_appears_once_per_bom(plant) -> None:  # type: ignore[no-untyped-def]
    refused(
        lambda: BomLine.objects.create(
            parent=plant.finished, component=plant.component, quantity=Decimal("1")
        ),
        "bom_line_unique",
    )
    assert plant.finished.bom_lines.count() == 1


@pytest.mark.parametrize("quantity", [Decimal("0"), Decimal("-2")])
def test_bom_quantity_is_positive(plant, quantity: Decimal) -> None:  # type: ignore[no-untyped-def]
    other = ProductFactory(line=plant.fab, supermarket=plant.supermarket)
    refused(
        lambda: BomLine.objects.create(parent=plant.finished, component=other, quantity=quantity),
        "bom_quantity_positive",
    )


def test_a_product_is_not_its_own_component(plant) -> None:  # type: ignore[no-untyped-def]
    refused(
        lambda: BomLine.objects.create(
            parent=plant.component, component=plant.component, quantity=Decimal("1")
        ),
        "bom_not_its_own_component",
    )


def test_location_code_is_unique(plant) -> None:  # type: ignore[no-untyped-def]
    refused(lambda: Location.objects.create(code="sm-main", name="Again"), "code")


@pytest.mark.parametrize("days", [Decimal("0"), Decimal("-1")])
def test_supplier_lead_time_is_positive(days: Decimal) -> None:
    refused(
        lambda: Supplier.objects.create(code="acme", name="Acme", lead_time_days=days),
        "supplier_lead_time_positive",
    )


# --- Stock ----------------------------------------------------------------------------


def test_one_level_per_product_and_location(plant) -> None:  # type: ignore[no-untyped-def]
    refused(
        lambda: StockLevel.objects.create(product=plant.finished, location=plant.supermarket),
        "stock_level_unique",
    )


def test_one_daily_sum_per_product_location_and_day(plant) -> None:  # type: ignore[no-untyped-def]
    """The dashboards' per-day sums (kept by triggers, which upsert on these keys)."""
    from production.dashboards.models import DailyDemand, DailyStockFlow

    day = timezone.localdate() - timezone.timedelta(days=9999)  # no move of the plant's
    DailyStockFlow.objects.create(product=plant.finished, location=plant.supermarket, day=day)
    refused(
        lambda: DailyStockFlow.objects.create(
            product=plant.finished, location=plant.supermarket, day=day
        ),
        "daily_stock_flow_unique",
    )
    DailyDemand.objects.create(product=plant.finished, day=day)
    refused(
        lambda: DailyDemand.objects.create(product=plant.finished, day=day),
        "daily_demand_unique",
    )


def test_a_level_never_goes_below_zero(plant) -> None:  # type: ignore[no-untyped-def]
    level = StockLevel.objects.get(product=plant.finished, location=plant.supermarket)
    refused(
        lambda: StockLevel.objects.filter(pk=level.pk).update(on_hand=Decimal("-0.001")),
        "stock_level_never_negative",
    )
    level.refresh_from_db()
    assert level.on_hand == Decimal("15")


@pytest.mark.parametrize(
    ("kind", "quantity", "constraint"),
    [
        ("receipt", Decimal("0"), "stock_move_not_zero"),
        ("adjustment", Decimal("0"), "stock_move_not_zero"),
        ("opening", Decimal("-1"), "stock_move_sign_matches_kind"),
        ("receipt", Decimal("-1"), "stock_move_sign_matches_kind"),
        ("consumption", Decimal("1"), "stock_move_sign_matches_kind"),
        ("scrap", Decimal("-1"), "stock_move_sign_matches_kind"),
    ],
)
def test_ledger_moves_have_the_sign_of_their_kind(
    plant, kind: str, quantity: Decimal, constraint: str
) -> None:  # type: ignore[no-untyped-def]
    before = StockMove.objects.count()
    refused(
        lambda: StockMove.objects.create(
            product=plant.finished, location=plant.supermarket, kind=kind, quantity=quantity
        ),
        constraint,
    )
    assert StockMove.objects.count() == before


@pytest.mark.parametrize(
    ("kind", "quantity"),
    [
        ("opening", Decimal("1")),
        ("receipt", Decimal("1")),
        ("consumption", Decimal("-1")),
        ("adjustment", Decimal("1")),
        ("adjustment", Decimal("-1")),
    ],
)
def test_ledger_moves_with_the_right_sign_are_accepted(plant, kind: str, quantity: Decimal) -> None:  # type: ignore[no-untyped-def]
    move = StockMove.objects.create(
        product=plant.finished, location=plant.supermarket, kind=kind, quantity=quantity
    )
    assert move.pk is not None


# --- Work orders ------------------------------------------------------------------------


def work_order(plant, **overrides: Any) -> WorkOrder:  # type: ignore[no-untyped-def]
    values = {
        "product": plant.finished,
        "line": plant.assembly,
        "location": plant.supermarket,
        "quantity": Decimal("5"),
        "origin": "manual",
    }
    return WorkOrder.objects.create(**(values | overrides))


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"quantity": Decimal("0")}, "work_order_quantity_positive"),
        ({"quantity": Decimal("-5")}, "work_order_quantity_positive"),
        ({"status": "paused"}, "work_order_status_valid"),
        ({"origin": "email"}, "work_order_origin_valid"),
    ],
)
def test_work_order_checks(plant, overrides: dict[str, Any], constraint: str) -> None:  # type: ignore[no-untyped-def]
    before = WorkOrder.objects.count()
    refused(lambda: work_order(plant, **overrides), constraint)
    assert WorkOrder.objects.count() == before


# --- Demand -----------------------------------------------------------------------------


def demand(plant, **overrides: Any) -> DemandEvent:  # type: ignore[no-untyped-def]
    values = {
        "product": plant.finished,
        "quantity": Decimal("4"),
        "occurred_at": timezone.now(),
        "source": "erp",
        "external_id": "SO-1",
    }
    return DemandEvent.objects.create(**(values | overrides))


def test_external_id_is_unique_per_source(plant) -> None:  # type: ignore[no-untyped-def]
    demand(plant)
    refused(lambda: demand(plant), "demand_idempotency")
    # The same external id from another source is another event.
    demand(plant, source="webshop")
    assert DemandEvent.objects.filter(external_id="SO-1").count() == 2


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"quantity": Decimal("0")}, "demand_quantity_positive"),
        ({"backordered_quantity": Decimal("-1")}, "demand_backorder_within_quantity"),
        ({"backordered_quantity": Decimal("5")}, "demand_backorder_within_quantity"),
        (
            {"backordered_quantity": Decimal("2"), "open_backorder_quantity": Decimal("3")},
            "demand_open_backorder_within_backorder",
        ),
        ({"open_backorder_quantity": Decimal("-1")}, "demand_open_backorder_within_backorder"),
    ],
)
def test_demand_checks(plant, overrides: dict[str, Any], constraint: str) -> None:  # type: ignore[no-untyped-def]
    refused(lambda: demand(plant, **overrides), constraint)
    assert not DemandEvent.objects.exists()


def test_a_backorder_within_the_quantity_is_accepted(plant) -> None:  # type: ignore[no-untyped-def]
    event = demand(plant, backordered_quantity=Decimal("4"), open_backorder_quantity=Decimal("1"))
    assert event.pk is not None


# --- Kanban loops and cards ---------------------------------------------------------------


def test_one_loop_per_product_and_location(plant) -> None:  # type: ignore[no-untyped-def]
    refused(
        lambda: KanbanLoop.objects.create(
            product=plant.finished, location=plant.supermarket, container_quantity=Decimal("5")
        ),
        "loop_unique_per_location",
    )
    # Another location for the same product is another loop.
    KanbanLoop.objects.create(
        product=plant.finished, location=LocationFactory(), container_quantity=Decimal("5")
    )
    assert KanbanLoop.objects.filter(product=plant.finished).count() == 2


@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [
        ("container_quantity", Decimal("0"), "loop_container_quantity_positive"),
        ("safety_factor", Decimal("-0.1"), "loop_safety_factor_gte_0"),
        ("sizing_window_days", 0, "loop_sizing_window_positive"),
    ],
)
def test_loop_checks(plant, field: str, value: Any, constraint: str) -> None:  # type: ignore[no-untyped-def]
    loop = plant.finished_loop
    refused(lambda: KanbanLoop.objects.filter(pk=loop.pk).update(**{field: value}), constraint)


def card(plant, **overrides: Any) -> KanbanCard:  # type: ignore[no-untyped-def]
    values = {
        "loop": plant.finished_loop,
        "number": 99,
        "status": "empty",
        "remaining_quantity": Decimal("0"),
        "status_changed_at": timezone.now(),
    }
    return KanbanCard.objects.create(**(values | overrides))


def test_one_card_number_per_loop(plant) -> None:  # type: ignore[no-untyped-def]
    refused(lambda: card(plant, number=1), "card_number_unique_in_loop")
    # Number 1 exists in the component loop too: numbers are per loop.
    assert KanbanCard.objects.filter(number=1).count() == 2


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"number": 0}, "card_number_positive"),
        ({"status": "full", "remaining_quantity": Decimal("-1")}, "card_remaining_never_negative"),
        ({"status": "lost"}, "card_status_valid"),
        ({"status": "empty", "remaining_quantity": Decimal("1")}, "card_empty_holds_nothing"),
        (
            {"status": "in_process", "remaining_quantity": Decimal("5")},
            "card_empty_holds_nothing",
        ),
        ({"status": "retired", "remaining_quantity": Decimal("5")}, "card_empty_holds_nothing"),
    ],
)
def test_card_checks(plant, overrides: dict[str, Any], constraint: str) -> None:  # type: ignore[no-untyped-def]
    before = KanbanCard.objects.count()
    refused(lambda: card(plant, **overrides), constraint)
    assert KanbanCard.objects.count() == before


@pytest.mark.parametrize("status", ["full", "in_use"])
def test_full_and_in_use_cards_may_hold_stock(plant, status: str) -> None:  # type: ignore[no-untyped-def]
    assert card(plant, status=status, remaining_quantity=Decimal("3")).pk is not None


# --- Push plans, comparisons, API idempotency -----------------------------------------------


def push_plan(plant, **overrides: Any):  # type: ignore[no-untyped-def]
    from production.planning.models import PushPlan

    values = {
        "line": plant.assembly,
        "period_start": timezone.now().date(),
        "capacity": Decimal("100"),
    }
    return PushPlan.objects.create(**(values | overrides))


def test_one_push_plan_per_line_and_period(plant) -> None:  # type: ignore[no-untyped-def]
    push_plan(plant)
    refused(lambda: push_plan(plant), "push_plan_per_period")
    push_plan(plant, line=plant.fab)  # another line, same period: fine


def test_a_product_appears_once_per_push_plan(plant) -> None:  # type: ignore[no-untyped-def]
    from production.planning.models import PushPlanLine

    plan = push_plan(plant)
    PushPlanLine.objects.create(plan=plan, product=plant.finished, quantity=Decimal("5"))
    refused(
        lambda: PushPlanLine.objects.create(
            plan=plan, product=plant.finished, quantity=Decimal("5")
        ),
        "push_plan_line_unique",
    )
    assert plan.lines.count() == 1


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"progress": -0.1}, "comparison_progress_0_1"),
        ({"progress": 1.5}, "comparison_progress_0_1"),
        ({"status": "paused"}, "comparison_status_valid"),
    ],
)
def test_comparison_checks(plant, overrides: dict[str, Any], constraint: str) -> None:  # type: ignore[no-untyped-def]
    from production.comparisons.models import Comparison

    def create() -> Any:
        return Comparison.objects.create(
            **({"name": "trial", "line": plant.assembly, "spec": {}} | overrides)
        )

    refused(create, constraint)
    assert not Comparison.objects.exists()


def test_an_idempotency_key_is_unique_per_user(plant) -> None:  # type: ignore[no-untyped-def]
    from production.webhooks.models import IdempotencyKey
    from tests.factories import UserFactory

    erp, other = UserFactory(), UserFactory()

    def key(user: Any) -> Any:
        return IdempotencyKey.objects.create(
            user=user, key="k-1", method="POST", path="/api/v1/demand-events/", fingerprint="x"
        )

    key(erp)
    refused(lambda: key(erp), "idempotency_key_unique_per_user")
    key(other)  # the same key from another client is another request
    assert IdempotencyKey.objects.filter(key="k-1").count() == 2


def test_every_constraint_of_the_domain_has_a_test_here() -> None:
    """A constraint added to a model without a test in this module fails this test."""
    from pathlib import Path

    from django.apps import apps

    source = Path(__file__).read_text()
    names = {
        constraint.name
        for app in ("production", "kanban")
        for model in apps.get_app_config(app).get_models()
        for constraint in model._meta.constraints
    }
    assert names, "no constraints found"
    assert sorted(n for n in names if f'"{n}"' not in source) == []


# --- Replenishment sources: loops, call-offs, transfer orders, signals ----------------------


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"source": "mail"}, "loop_source_valid"),
        ({"source": "supplier", "supplier": None}, "loop_supplier_source_has_supplier"),
        ({"source": "transfer", "source_location": None}, "loop_transfer_source_has_origin"),
        ({"minimum": Decimal("-1")}, "loop_minimum_not_negative"),
    ],
)
def test_loop_source_checks(plant, values: dict[str, Any], constraint: str) -> None:  # type: ignore[no-untyped-def]
    loop = plant.finished_loop
    refused(lambda: KanbanLoop.objects.filter(pk=loop.pk).update(**values), constraint)
    assert KanbanLoop.objects.get(pk=loop.pk).source == "production"


def test_a_transfer_loop_needs_another_origin_and_a_lead_time(plant) -> None:  # type: ignore[no-untyped-def]
    loops = KanbanLoop.objects.filter(pk=plant.finished_loop.pk)
    warehouse = LocationFactory(code="wh-1", kind="warehouse")
    same_place = {"source_location": plant.supermarket, "transfer_lead_time_days": Decimal("1")}
    refused(
        lambda: loops.update(source="transfer", **same_place), "loop_transfer_source_has_origin"
    )
    no_lead_time = {"source_location": warehouse, "transfer_lead_time_days": None}
    refused(
        lambda: loops.update(source="transfer", **no_lead_time), "loop_transfer_source_has_origin"
    )
    loops.update(source="transfer", source_location=warehouse, transfer_lead_time_days=1)
    assert loops.get().source == "transfer"


def call_off(plant, **overrides: Any):  # type: ignore[no-untyped-def]
    from production.supply.models import CallOff

    supplier = Supplier.objects.get_or_create(
        code="acme", defaults={"name": "Acme", "lead_time_days": Decimal("2")}
    )[0]
    values = {
        "supplier": supplier,
        "product": plant.component,
        "location": plant.supermarket,
        "quantity": Decimal("10"),
        "due_at": timezone.now(),
    }
    return CallOff.objects.create(**(values | overrides))


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"quantity": Decimal("0")}, "call_off_quantity_positive"),
        ({"status": "lost"}, "call_off_status_valid"),
        ({"received_quantity": Decimal("-1")}, "call_off_received_not_negative"),
        ({"status": "received"}, "call_off_received_has_count"),
    ],
)
def test_call_off_checks(plant, overrides: dict[str, Any], constraint: str) -> None:  # type: ignore[no-untyped-def]
    from production.supply.models import CallOff

    refused(lambda: call_off(plant, **overrides), constraint)
    assert not CallOff.objects.exists()


def transfer(plant, **overrides: Any):  # type: ignore[no-untyped-def]
    from production.supply.models import TransferOrder

    values = {
        "product": plant.component,
        "from_location": LocationFactory(kind="warehouse"),
        "to_location": plant.supermarket,
        "quantity": Decimal("10"),
        "due_at": timezone.now(),
    }
    return TransferOrder.objects.create(**(values | overrides))


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"quantity": Decimal("-2")}, "transfer_quantity_positive"),
        ({"status": "shipped"}, "transfer_status_valid"),
        ({"received_quantity": Decimal("-1")}, "transfer_received_not_negative"),
        ({"status": "received"}, "transfer_received_has_count"),
    ],
)
def test_transfer_order_checks(plant, overrides: dict[str, Any], constraint: str) -> None:  # type: ignore[no-untyped-def]
    from production.supply.models import TransferOrder

    refused(lambda: transfer(plant, **overrides), constraint)
    assert not TransferOrder.objects.exists()


def test_a_transfer_goes_between_two_places(plant) -> None:  # type: ignore[no-untyped-def]
    refused(lambda: transfer(plant, from_location=plant.supermarket), "transfer_between_two_places")


def test_a_signal_is_answered_by_exactly_one_order(plant) -> None:  # type: ignore[no-untyped-def]
    from kanban.models import PullSignal

    a_card = plant.component_loop.cards.first()
    refused(lambda: PullSignal.objects.create(card=a_card), "signal_answered_by_one_order")
    order = work_order(plant)
    both = {"work_order": order, "call_off": call_off(plant)}
    refused(lambda: PullSignal.objects.create(card=a_card, **both), "signal_answered_by_one_order")
    assert PullSignal.objects.create(card=a_card, call_off=call_off(plant)).pk is not None
