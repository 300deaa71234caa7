"""Periodic tasks work in sets: their query count does not grow with the plant.

Each test runs a task on a plant of 20 loops, then on one of 200, and holds the larger
run to the smaller run's query count.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kanban.models import CardStatus, KanbanCard, KanbanLoop, PullSignal
from kanban.services import loops_size
from kanban.tasks import loops_size_task
from production.models import MoveKind, StockLevel, StockMove, WorkOrder
from production.reconcile import reconcile
from tests.bulk_plant import BulkPlant, add_demand_history, build_pull_loops

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("steady_subscriptions")]
D = Decimal


def queries_of(run) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured.captured_queries)


def drift(plant: BulkPlant) -> None:
    """In every loop: 10 units left without the cards knowing, card #3 emptied without its
    signal (as if the line was parked), and a level that disagrees with its ledger."""
    StockMove.objects.bulk_create(
        StockMove(product=p, location=plant.supermarket, kind=MoveKind.ADJUSTMENT, quantity=-q)
        for p in plant.products
        for q in (D("5"), D("5"))
    )
    KanbanCard.objects.filter(loop__in=plant.loops, number=3).update(
        status=CardStatus.EMPTY, remaining_quantity=0
    )
    StockLevel.objects.filter(product__in=plant.products).update(on_hand=D("99"))


def assert_repaired(plant: BulkPlant, report: dict) -> None:  # type: ignore[type-arg]
    n = len(plant.loops)
    assert len(report["levels_repaired"]) == n
    assert set(
        StockLevel.objects.filter(product__in=plant.products).values_list("on_hand", flat=True)
    ) == {D("5")}
    # Card #1 drained to match stock (it signals), card #3's parked signal raised.
    for number in (1, 3):
        cards = KanbanCard.objects.filter(loop__in=plant.loops, number=number)
        assert set(cards.values_list("status", flat=True)) == {CardStatus.EMPTY}
        assert not cards.filter(work_order__isnull=True).exists()
    assert WorkOrder.objects.filter(product__in=plant.products).count() == 2 * n
    assert PullSignal.objects.filter(card__loop__in=plant.loops).count() == 2 * n
    assert sum("containers drained" in f for f in report["policy_findings"]) == n
    assert sum("empty cards signalled" in f for f in report["policy_findings"]) == n


def test_the_reconciler_on_a_sound_plant_costs_the_same_queries_at_200_loops_as_at_20(
    django_assert_max_num_queries,
):  # type: ignore[no-untyped-def]
    build_pull_loops(20, prefix="S")
    at_20 = queries_of(reconcile)
    build_pull_loops(180, prefix="L")
    with django_assert_max_num_queries(at_20):
        report = reconcile()
    assert report == {"requeued_events": 0, "levels_repaired": [], "policy_findings": []}


def test_the_reconciler_repairs_drift_in_every_loop_with_the_same_queries_at_200_as_at_20(
    django_assert_max_num_queries,
):  # type: ignore[no-untyped-def]
    small = build_pull_loops(20, prefix="S")
    drift(small)
    report: dict = {}  # type: ignore[type-arg]

    def run() -> None:
        report.update(reconcile())

    at_20 = queries_of(run)
    assert_repaired(small, report)

    large = build_pull_loops(200, prefix="L")
    drift(large)
    with django_assert_max_num_queries(at_20):
        report = reconcile()
    assert_repaired(large, report)
    assert reconcile()["levels_repaired"] == []  # repaired once, then nothing to find


def test_nightly_sizing_costs_the_same_queries_at_200_loops_as_at_20(
    django_assert_max_num_queries,
):  # type: ignore[no-untyped-def]
    small = build_pull_loops(20, prefix="S")
    add_demand_history(small)
    at_20 = queries_of(loops_size_task)
    large = build_pull_loops(180, prefix="L")
    add_demand_history(large)
    with django_assert_max_num_queries(at_20):
        assert loops_size_task() == 200
    # 3/day, L = 2, a = 0.2, C = 5: a component also carries 2 x its parent's 3/day.
    parent, component = large.loops[0], large.loops[1]
    parent.refresh_from_db()
    component.refresh_from_db()
    assert parent.recommendation["daily_demand"] == "3.000"
    assert parent.recommended_card_count == 2  # ceil(3 x 2 x 1.2 / 5) = ceil(1.44)
    assert component.recommendation["dependent_daily_demand"] == "6.000"
    assert component.recommendation["daily_demand"] == "9.000"
    assert component.recommended_card_count == 5  # ceil(9 x 2 x 1.2 / 5) = ceil(4.32)
    assert not KanbanLoop.objects.filter(recommended_card_count__isnull=True).exists()


def test_sizing_a_set_of_loops_matches_sizing_each_alone(plant):  # type: ignore[no-untyped-def]
    from kanban.services import loop_size

    KanbanLoop.objects.filter(pk=plant.component_loop.pk).update(sizing_window_days=14)
    add_demand_history(
        BulkPlant(plant.assembly, plant.supermarket, [plant.finished], []), quantity=D("7")
    )
    loops_size(loops=KanbanLoop.objects.all())
    together = {
        loop.pk: (loop.recommended_card_count, loop.recommendation)
        for loop in KanbanLoop.objects.all()
    }
    alone = {}
    for loop in KanbanLoop.objects.select_related("product"):
        sized = loop_size(loop=loop)
        alone[loop.pk] = (sized.recommended_card_count, sized.recommendation)
    assert together == alone
    finished, component = together[plant.finished_loop.pk][1], together[plant.component_loop.pk][1]
    assert (finished["window_days"], finished["daily_demand"]) == (28, "7.000")
    assert (component["window_days"], component["dependent_daily_demand"]) == (14, "14.000")


def test_the_forecast_refresh_costs_the_same_queries_at_300_products_as_at_20(
    django_assert_max_num_queries,
):  # type: ignore[no-untyped-def]
    from production.planning.models import ProductForecast
    from production.planning.tasks import forecasts_refresh_task

    add_demand_history(build_pull_loops(20, prefix="S"), days=80)
    at_20 = queries_of(forecasts_refresh_task)
    add_demand_history(build_pull_loops(280, prefix="L"), days=80)
    with django_assert_max_num_queries(at_20):
        forecasts_refresh_task()
    forecasts = ProductForecast.objects.filter(product__sku__startswith="L-")
    assert forecasts.count() == 280
    # 3 a day, every day: every method forecasts 3 a day.
    assert {round(v, 3) for f in forecasts for v in f.values[:7]} == {3.0}


def push_line_with_forecasts(count: int, prefix: str) -> BulkPlant:
    """A push line whose products each need 15 more: 10 a day over 2 + 1 days, 15 on hand."""
    from django.utils import timezone

    from production.planning.models import ProductForecast

    plant = build_pull_loops(count, prefix=prefix, with_bom=False)
    type(plant.line).objects.filter(pk=plant.line.pk).update(mode="push")
    ProductForecast.objects.bulk_create(
        ProductForecast(
            product=p, method="naive", start_date=timezone.localdate(), values=[10.0] * 56
        )
        for p in plant.products
    )
    return plant


def test_push_planning_costs_the_same_queries_for_200_products_as_for_20(
    django_assert_max_num_queries,
):  # type: ignore[no-untyped-def]
    from production.planning.tasks import push_plan_task

    small = push_line_with_forecasts(20, "S")
    at_20 = queries_of(push_plan_task)
    type(small.line).objects.filter(pk=small.line.pk).update(mode="pull")
    large = push_line_with_forecasts(200, "L")
    with django_assert_max_num_queries(at_20):
        assert len(push_plan_task()) == 1
    orders = WorkOrder.objects.filter(product__in=large.products)
    assert orders.count() == 200
    assert set(orders.values_list("status", "origin", "quantity")) == {
        ("released", "push", D("15"))
    }
    assert set(orders.values_list("events__from_status", "events__to_status")) == {
        ("", "planned"),
        ("planned", "released"),
    }


def busy_lines(count: int, prefix: str) -> list[BulkPlant]:
    """`count` pull lines of 5 products each, with four weeks of demand and finished orders."""
    from django.utils import timezone

    plants = []
    for n in range(count):
        plant = build_pull_loops(5, prefix=f"{prefix}{n}")
        add_demand_history(plant, days=60)
        done = timezone.now() - timezone.timedelta(days=3)
        WorkOrder.objects.bulk_create(
            WorkOrder(
                product=p,
                line=plant.line,
                location=plant.supermarket,
                quantity=D("5"),
                origin="kanban",
                status="done",
                started_at=done - timezone.timedelta(hours=4 + k),
                completed_at=done,
            )
            for p in plant.products
            for k in range(3)
        )
        plants.append(plant)
    return plants


def test_the_shadow_comparison_costs_the_same_queries_for_6_busy_lines_as_for_2(
    django_assert_max_num_queries,
):  # type: ignore[no-untyped-def]
    from production.comparisons.models import Comparison
    from production.comparisons.tasks import shadow_compare_task

    busy_lines(2, "S")
    at_2 = queries_of(shadow_compare_task)
    assert Comparison.objects.count() == 2
    Comparison.objects.all().delete()
    busy_lines(4, "L")
    with django_assert_max_num_queries(at_2):
        ids = shadow_compare_task()
    shadows = Comparison.objects.filter(pk__in=ids).select_related("line")
    assert len(ids) == 6
    for shadow in shadows:
        spec = shadow.spec
        assert [p["label"] for p in spec["policies"]] == ["kanban (live)", "push (shadow)"]
        assert spec["policies"][0]["cards"] == {p["sku"]: 3 for p in spec["products"]}
        assert len(spec["products"]) == 5
        # 28 days of one event a day each, the weeks before as daily totals of 3.
        assert all(len(p["demand"]["events"]) == 28 for p in spec["products"])
        assert all(p["history_before"] == [3.0] * 28 for p in spec["products"])
        # The spread of the line's own finished orders, not the fallback.
        assert spec["stations"][0]["unit_time"]["dist"] == "lognormal"


def test_the_forecast_refresh_stores_2_100_forecasts_in_as_many_queries_as_20(
    django_assert_max_num_queries,
):  # type: ignore[no-untyped-def]
    # More products than one batch of a plain bulk upsert (1,000): still one statement.
    from production.models import Product
    from production.planning.models import ProductForecast
    from production.planning.tasks import forecasts_refresh_task

    small = build_pull_loops(20, prefix="S", with_bom=False)
    add_demand_history(small, days=80)
    at_20 = queries_of(forecasts_refresh_task)
    Product.objects.bulk_create(
        Product(
            sku=f"N-{n:05d}",
            name=f"New product {n}",
            line=small.line,
            supermarket=small.supermarket,
            container_quantity=D("5"),
            lead_time_days=D("2"),
        )
        for n in range(2_080)
    )
    with django_assert_max_num_queries(at_20):
        forecasts_refresh_task()
    assert ProductForecast.objects.count() == 2_100
    kept = ProductForecast.objects.filter(product__sku__startswith="S-")
    assert {round(v, 3) for f in kept for v in f.values[:7]} == {3.0}
    assert set(kept.values_list("run_id", flat=True)) == {
        ProductForecast.objects.filter(product__sku="N-00000").get().run_id
    }
