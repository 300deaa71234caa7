"""Push scheduling through the services: forecasts refreshed, orders netted, lots cut, released."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from kanban.models import CardStatus
from kanban.services import card_move
from production.errors import NotAllowed
from production.models import DemandEvent, LineMode, WorkOrder, WorkOrderStatus
from production.planning.models import ForecastRunStatus, ProductForecast, PushPlan
from production.planning.services.forecasts import forecast_run_request
from production.planning.services.push import forecast_over, push_plan_run, push_plans_run_due
from production.services import line_switch_mode, work_order_create, work_order_release
from tests.factories import LineFactory, ProductFactory

D = Decimal
TODAY = date(2026, 3, 2)


def forecast_for(product, per_day: float, sigma: float = 0.0) -> ProductForecast:  # type: ignore[no-untyped-def]
    return ProductForecast.objects.create(
        product=product,
        method="ses",
        start_date=TODAY,
        values=[per_day] * 56,
        sigma_daily=sigma,
        scores={"ses": {"mase": 0.8, "bias": 0.1, "rmse": sigma}},
    )


@pytest.fixture
def push_line(db):  # type: ignore[no-untyped-def]
    return LineFactory(code="press", mode=LineMode.PUSH, capacity_per_day=D("100"))


def test_plan_nets_forecast_safety_stock_stock_and_open_orders(push_line) -> None:  # type: ignore[no-untyped-def]
    product = ProductFactory(
        sku="P-1",
        line=push_line,
        lead_time_days=D("3"),
        container_quantity=D("10"),
        service_level=D("0.95"),
    )
    forecast_for(product, per_day=10, sigma=2)
    from production.services import stock_receive

    stock_receive(product=product, location=product.supermarket, quantity=D("12"), actor_id=None)
    work_order_create(product=product, quantity=D("5"))  # a planned order already open

    plan = push_plan_run(line=push_line, period_start=TODAY)

    line = plan.lines.get()
    e = line.explanation
    # L = 3 days lead time + 1 day review; forecast 10/day -> 40; SS = 1.645 x 2 x 2
    assert e["protection_days"] == 4
    assert e["forecast_over_protection"] == pytest.approx(40)
    assert e["safety_stock"] == pytest.approx(6.5794, abs=1e-3)
    assert e["net_requirement"] == pytest.approx(40 + 6.5794 - 12 - 5, abs=1e-3)
    assert line.quantity == D("30")  # 29.58 rounded up to whole containers of 10
    order = line.work_order
    assert order.origin == "push" and order.status == WorkOrderStatus.RELEASED
    assert order.plan_explanation["net_requirement"] == e["net_requirement"]
    assert order.plan_explanation["plan_id"] == plan.pk
    assert not plan.over_capacity


def test_nothing_is_released_when_stock_covers_the_need(push_line) -> None:  # type: ignore[no-untyped-def]
    product = ProductFactory(line=push_line, lead_time_days=D("2"))
    forecast_for(product, per_day=1)
    from production.services import stock_receive

    stock_receive(product=product, location=product.supermarket, quantity=D("50"), actor_id=None)
    plan = push_plan_run(line=push_line, period_start=TODAY)
    assert plan.lines.get().quantity == 0
    assert not WorkOrder.objects.filter(origin="push").exists()


def test_running_a_period_twice_does_not_double_orders(push_line) -> None:  # type: ignore[no-untyped-def]
    forecast_for(ProductFactory(line=push_line), per_day=8)
    first = push_plan_run(line=push_line, period_start=TODAY)
    again = push_plan_run(line=push_line, period_start=TODAY)
    assert again.pk == first.pk
    assert WorkOrder.objects.filter(origin="push").count() == 1
    push_plan_run(line=push_line, period_start=TODAY + timedelta(days=1))
    assert PushPlan.objects.count() == 2


def test_load_above_capacity_is_flagged_not_cut(push_line) -> None:  # type: ignore[no-untyped-def]
    for sku in ("A", "B", "C"):
        product = ProductFactory(
            sku=sku, line=push_line, lead_time_days=D("4"), lot_sizing="lot_for_lot"
        )
        forecast_for(product, per_day=10)  # 50 each over 5 days, 150 > 100 capacity
    plan = push_plan_run(line=push_line, period_start=TODAY)
    assert plan.over_capacity and plan.load == D("150") and plan.capacity == D("100")
    flags = {
        line.product.sku: line.beyond_capacity for line in plan.lines.select_related("product")
    }
    assert flags == {"A": False, "B": False, "C": True}
    assert WorkOrder.objects.filter(origin="push", status="released").count() == 3


def test_pull_lines_are_not_planned(db) -> None:  # type: ignore[no-untyped-def]
    line = LineFactory(mode=LineMode.PULL)
    with pytest.raises(NotAllowed, match="only push lines"):
        push_plan_run(line=line, period_start=TODAY)
    assert push_plans_run_due(today=TODAY) == []


def test_a_switch_effective_later_waits_for_its_time(db) -> None:  # type: ignore[no-untyped-def]
    line = LineFactory(mode=LineMode.PULL)
    forecast_for(ProductFactory(line=line), per_day=5)
    line_switch_mode(
        line=line,
        mode="push",
        reason="trial",
        actor_id=None,
        effective_at=timezone.now() + timedelta(hours=3),
    )
    assert push_plans_run_due(today=TODAY) == []
    line.mode_switches.update(effective_at=timezone.now() - timedelta(minutes=1))
    assert len(push_plans_run_due(today=TODAY)) == 1


def test_forecast_over_reads_fractional_days_and_offsets() -> None:
    f = ProductForecast(start_date=TODAY, values=[1.0, 2.0, 3.0])
    assert forecast_over(f, start=TODAY, days=2.5) == pytest.approx(1 + 2 + 1.5)
    assert forecast_over(f, start=TODAY + timedelta(days=2), days=3) == pytest.approx(9)
    assert forecast_over(None, start=TODAY, days=3) == 0


def test_refresh_forecasts_every_product_with_scores_and_fallbacks(  # type: ignore[no-untyped-def]
    db, django_capture_on_commit_callbacks
) -> None:
    line = LineFactory()
    rich = ProductFactory(sku="RICH", line=line)
    poor = ProductFactory(sku="POOR", line=line)
    ProductFactory(sku="NONE", line=line)
    rng = np.random.default_rng(2)
    today = timezone.localdate()
    events = []
    for back in range(1, 200):
        day = today - timedelta(days=back)
        qty = int(rng.poisson(12 if day.weekday() < 5 else 2)) + 1
        events.append((rich, qty, day, back))
    events += [(poor, 5, today - timedelta(days=b), 1000 + b) for b in range(1, 11)]
    DemandEvent.objects.bulk_create(
        [
            DemandEvent(
                product=p,
                quantity=D(q),
                external_id=f"h{n}",
                occurred_at=timezone.make_aware(datetime.combine(day, time(10))),
                processed_at=timezone.now(),
                status="fulfilled",
            )
            for p, q, day, n in events
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = forecast_run_request(actor_id=None)  # the task runs in process, on commit
    run.refresh_from_db()
    assert run.status == ForecastRunStatus.DONE
    assert run.done_products == run.total_products == 3
    assert run.progress_percent == 100
    rich_f = ProductForecast.objects.get(product=rich)
    # Positive daily demand: the 15 ETS models are candidates (no Croston: no zero day);
    # scores are kept for each model whose fit stayed admissible.
    assert rich_f.method in rich_f.scores and len(rich_f.scores) >= 12
    assert all(name.startswith("ets_") for name in rich_f.scores)
    assert (rich_f.bucket, rich_f.season_length) == ("day", 7)
    assert rich_f.calendar_source["bucket"] == rich_f.calendar_source["season"] == "detected"
    assert rich_f.history_buckets == rich_f.history_days == 199  # every day of it
    assert (
        rich_f.intervals["95"]["lower"][0] < rich_f.values[0] < rich_f.intervals["95"]["upper"][0]
    )
    assert rich_f.start_date == today and rich_f.fallback_reason == ""
    assert 3 < rich_f.values[0] < 20 and rich_f.sigma_daily > 0
    poor_f = ProductForecast.objects.get(product=poor)
    assert poor_f.method == "history_mean" and "Only 10 days" in poor_f.fallback_reason
    assert poor_f.values[0] == pytest.approx(5)
    assert ProductForecast.objects.get(product__sku="NONE").method == "zero"


def test_switching_back_and_forth_loses_no_open_work(plant) -> None:  # type: ignore[no-untyped-def]
    """Cards are parked while the line pushes and come back on the return to pull."""
    line = plant.assembly
    loop = plant.finished_loop
    cards = list(loop.cards.order_by("number"))
    # One container used up: an empty card with its pull order, which is then started.
    from production.services import stock_consume

    stock_consume(
        product=plant.finished, location=plant.supermarket, quantity=D("5"), actor_id=None
    )
    pulled = loop.cards.get(status=CardStatus.EMPTY)
    kanban_order = pulled.work_order
    assert kanban_order is not None
    push_order = None

    line_switch_mode(line=line, mode="push", reason="forecast trial", actor_id=None)
    forecast_for(plant.finished, per_day=10)
    plan = push_plan_run(line=line, period_start=TODAY)
    push_order = plan.lines.get(product=plant.finished).work_order
    # While pushing, demand still consumes stock; the parked cards neither move nor signal.
    before = list(loop.cards.order_by("number").values_list("status", "remaining_quantity"))
    stock_consume(
        product=plant.finished, location=plant.supermarket, quantity=D("5"), actor_id=None
    )
    assert list(loop.cards.order_by("number").values_list("status", "remaining_quantity")) == before
    with pytest.raises(NotAllowed, match="parked"):
        card_move(card_id=pulled.pk, to=CardStatus.IN_PROCESS, actor_id=None)

    line_switch_mode(line=line, mode="pull", reason="back to kanban", actor_id=None)

    kanban_order.refresh_from_db()
    assert kanban_order.status == WorkOrderStatus.PLANNED  # open work continued untouched
    assert push_order is not None
    push_order.refresh_from_db()
    assert push_order.status == WorkOrderStatus.RELEASED
    # The cards came back in line with stock: the container used while pushing is
    # empty now and has its pull order; no empty card is left without one.
    assert loop.cards.filter(status=CardStatus.EMPTY).count() == 2
    assert not loop.cards.filter(status=CardStatus.EMPTY, work_order__isnull=True).exists()
    card_move(card_id=pulled.pk, to=CardStatus.IN_PROCESS, actor_id=None)  # unparked
    history = list(
        line.mode_switches.order_by("created_at", "id").values_list("from_mode", "to_mode")
    )
    assert history == [("pull", "push"), ("push", "pull")]
    assert len(cards) == loop.cards.count()
    # A push order can still be finished after the return to pull.
    from production.services import work_order_complete, work_order_start

    work_order_start(work_order_id=push_order.pk, actor_id=None)
    work_order_complete(work_order_id=push_order.pk, actor_id=None)


def test_nightly_task_refreshes_without_a_request(db) -> None:  # type: ignore[no-untyped-def]
    from production.planning.models import ForecastRun
    from production.planning.tasks import forecasts_refresh_task

    ProductFactory(sku="LONELY")
    run_id = forecasts_refresh_task.delay().get()
    run = ForecastRun.objects.get(pk=run_id)
    assert (run.status, run.trigger, run.total_products) == ("done", "schedule", 1)
    assert ForecastRun.objects.count() == 1


def test_a_components_history_is_what_work_orders_consumed(plant) -> None:  # type: ignore[no-untyped-def]
    """Dependent demand: a component's forecast reads what starting work orders took."""
    from production.planning.services.forecasts import daily_histories
    from production.services import work_order_start

    order = work_order_create(product=plant.finished, quantity=D("5"))
    work_order_release(work_order_id=order.pk, actor_id=None)
    work_order_start(work_order_id=order.pk, actor_id=None)  # takes 2 x 5 = 10 of C
    tomorrow = timezone.localdate() + timedelta(days=1)
    histories = daily_histories([plant.component.pk, plant.finished.pk], end=tomorrow, max_days=30)
    assert histories[plant.component.pk].tolist() == [10.0]
    assert histories[plant.finished.pk].tolist() == []  # no customer demand yet


def test_weekly_periods_start_on_monday_and_review_a_week(push_line, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PULLBOARD = {**settings.PULLBOARD, "PUSH_PLAN_PERIOD_DAYS": 7}
    product = ProductFactory(line=push_line, lead_time_days=D("2"), lot_sizing="lot_for_lot")
    forecast_for(product, per_day=10)
    thursday = TODAY + timedelta(days=3)  # TODAY is a Monday
    plan = push_plan_run(line=push_line, period_start=thursday)
    assert plan.period_start == TODAY and plan.period_days == 7
    assert plan.capacity == push_line.capacity_per_day * 7
    assert plan.lines.get().explanation["protection_days"] == 9  # 2 lead + 7 review
    assert plan.lines.get().quantity == D("90")
    assert push_plan_run(line=push_line, period_start=TODAY + timedelta(days=6)).pk == plan.pk
