"""Push scheduling: net forecast demand against stock and open work, cut lots, release.

For each product of a line in push mode, once per planning period (daily by default,
`PULLBOARD["PUSH_PLAN_PERIOD_DAYS"]`; its purchased components are netted the same
way in the same plan and released as call-offs, see `call_offs`):

    protection interval L = lead time + review period (the period length)
    forecast over L       = the product's forecast summed over the L days from the period start;
                            for a component, what its parents' planned orders take (BOM)
    safety stock          = z(service level) x sigma_daily x sqrt(L)
    net requirement       = forecast + safety stock + open backorders - on hand - open orders
    lot                   = the product's lot-sizing policy applied to the net requirement

A period is planned as a **draft** (`push_plan_draft`): each product's lot, due date and
the line's load against its capacity, orders past it flagged, never cut. A planner
reviews it and releases it (`push_plan_release`: each lot becomes a work order with
origin `push`, released, its `plan_explanation` holding every number above) or
discards it (`push_plan_discard`, which leaves the period free to plan again).
Releasing twice releases once. The scheduled run (`push_plans_run_due`) drafts and,
with `PULLBOARD["PUSH_PLAN_AUTO_RELEASE"]` (default on), releases the drafts it made
itself, never a draft a planner is reviewing. Planning a period twice returns the plan
already made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from production.errors import DomainError, NotAllowed
from production.models import (
    DemandEvent,
    LineMode,
    Product,
    ProductionLine,
    StockLevel,
    WorkOrder,
    WorkOrderOrigin,
    WorkOrderStatus,
)
from production.planning.core import lot_size, net_requirement, safety_stock, service_level_z
from production.planning.forecasting.calendar import daily_values
from production.planning.models import ProductForecast, PushPlan, PushPlanLine, PushPlanStatus
from production.planning.services.bom import dependent_demand, lines_parents_first
from production.planning.services.call_offs import (
    CALL_OFF,
    bought_in_components,
    bought_in_rows,
    release_call_offs,
)
from production.planning.services.forecast_overrides import effective_values
from production.services.lines import line_mode_switches_apply_due
from production.services.work_orders import (
    NewWorkOrder,
    work_orders_create_many,
    work_orders_release_many,
)

OPEN_STATUSES = (WorkOrderStatus.PLANNED, WorkOrderStatus.RELEASED, WorkOrderStatus.IN_PROGRESS)
_PERIOD_EPOCH = date(2000, 1, 3)  # a Monday: weekly periods start on Mondays


def period_days() -> int:
    return max(1, int(settings.PULLBOARD.get("PUSH_PLAN_PERIOD_DAYS", 1)))


def period_start_for(day: date, days: int | None = None) -> date:
    """The first day of the planning period that contains ``day``."""
    days = days or period_days()
    return day - timedelta(days=(day - _PERIOD_EPOCH).days % days)


def forecast_over(forecast: ProductForecast | None, *, start: date, days: float) -> float:
    """Forecast demand over ``days`` (fractional allowed) from ``start``.

    The forecast in force is the model's with the planner's overrides
    (`forecast_overrides.effective_values`); a day's share of a bucket is the bucket's
    value over its length in days. Days past the end of the stored forecast repeat its
    last bucket's rate; days before its start (a stale forecast) read its first.
    """
    if forecast is None or not forecast.values or days <= 0:
        return 0.0
    values = effective_values(forecast)
    total = 0.0
    whole = math.floor(days)
    for i in range(whole + 1):
        share = 1.0 if i < whole else days - whole
        if share <= 0:
            break
        day = start + timedelta(days=i)
        total += share * daily_values(
            values, start=forecast.start_date, bucket=forecast.bucket, day=day
        )
    return total


@dataclass
class _Inputs:
    on_hand: dict[int, Decimal]
    open_orders: dict[int, Decimal]
    backorders: dict[int, Decimal]


def _inputs(products: list[Product]) -> _Inputs:
    ids = [p.pk for p in products]
    supermarket = {p.pk: p.supermarket_id for p in products}
    on_hand = {
        level.product_id: level.on_hand
        for level in StockLevel.objects.filter(product_id__in=ids)
        if supermarket[level.product_id] == level.location_id
    }
    open_orders = dict(
        WorkOrder.objects.filter(product_id__in=ids, status__in=OPEN_STATUSES)
        .values("product_id")
        .annotate(total=Sum("quantity"))
        .values_list("product_id", "total")
    )
    backorders = dict(
        DemandEvent.objects.filter(product_id__in=ids, open_backorder_quantity__gt=0)
        .values("product_id")
        .annotate(total=Sum("open_backorder_quantity"))
        .values_list("product_id", "total")
    )
    return _Inputs(on_hand, open_orders, backorders)


def _whole_units(quantity: float, policy: str) -> Decimal:
    """Lot-for-lot and EOQ lots round up to whole units; other policies are multiples already."""
    value = Decimal(str(round(quantity, 6)))
    if policy in ("lot_for_lot", "eoq"):
        return value.to_integral_value(rounding=ROUND_CEILING)
    return value.quantize(Decimal("0.001"), rounding=ROUND_CEILING)


def explain_product(
    product: Product,
    *,
    forecast: ProductForecast | None,
    on_hand: Decimal,
    open_orders: Decimal,
    backorders: Decimal,
    start: date,
    review_days: int,
    dependent: Decimal | None = None,
    lead_time_days: float | None = None,
) -> dict[str, Any]:
    """Every number of one product's netting and lot sizing, as plain JSON.

    A component (`dependent` given) is planned from what its parents' planned orders
    will take, through the BOM, not from a forecast: its consumption history is that
    same demand, seen after the fact. `lead_time_days` replaces the product's own (a
    bought-in component is covered over its supplier's)."""
    lead = float(product.lead_time_days) if lead_time_days is None else lead_time_days
    protection = lead + review_days
    forecast_total = forecast_over(forecast, start=start, days=protection)
    over = float(dependent) if dependent is not None else forecast_total
    sigma = float(forecast.sigma_daily) if forecast is not None else 0.0
    level = float(product.service_level)
    buffer = safety_stock(sigma_daily=sigma, lead_time_days=protection, service_level=level)
    net = net_requirement(
        forecast_over_horizon=over,
        safety_stock=buffer,
        on_hand=float(on_hand),
        open_orders=float(open_orders),
        backorders=float(backorders),
    )
    daily = over / protection if protection > 0 else 0.0
    lot = lot_size(
        requirement=net,
        policy=product.lot_sizing,
        container_quantity=float(product.container_quantity),
        fixed_quantity=float(product.fixed_lot_quantity) if product.fixed_lot_quantity else None,
        daily_demand=daily,
        setup_cost=float(product.setup_cost),
        holding_cost_per_unit_day=float(product.holding_cost_per_unit_day),
    )
    quantity = _whole_units(lot, product.lot_sizing) if lot > 0 else Decimal("0")
    return {
        "product": product.sku,
        "period_start": start.isoformat(),
        "lead_time_days": lead,
        "review_period_days": review_days,
        "protection_days": protection,
        "forecast_method": forecast.method if forecast else None,
        "forecast_fallback": (forecast.fallback_reason if forecast else "No forecast yet."),
        "forecast_daily_mean": round(daily, 4),
        "forecast_over_protection": round(forecast_total, 4),
        "dependent_demand": float(dependent) if dependent is not None else None,
        "requirement_from": "parents' planned orders (BOM)"
        if dependent is not None
        else "forecast",
        "sigma_daily": round(sigma, 4),
        "service_level": level,
        "z": round(service_level_z(level), 4),
        "safety_stock": round(buffer, 4),
        "on_hand": float(on_hand),
        "open_orders": float(open_orders),
        "backorders": float(backorders),
        "net_requirement": round(net, 4),
        "lot_sizing": product.lot_sizing,
        "container_quantity": float(product.container_quantity),
        "fixed_lot_quantity": (
            float(product.fixed_lot_quantity) if product.fixed_lot_quantity else None
        ),
        "quantity": float(quantity),
    }


def push_mode_effective(line: ProductionLine, *, at: datetime) -> bool:
    """A line plans in push once its switch to push has taken effect (a switch to come
    leaves the line in its old mode until its date)."""
    return line.mode == LineMode.PUSH


def _current_plan(line: ProductionLine, start: date) -> PushPlan | None:
    return (
        PushPlan.objects.filter(line=line, period_start=start)
        .exclude(status=PushPlanStatus.DISCARDED)
        .first()
    )


@transaction.atomic
def push_plan_draft(
    *, line: ProductionLine, period_start: date | None = None, actor_id: int | None = None
) -> PushPlan:
    """Net and size one period of a push line as a draft to review: nothing is released.
    Idempotent per (line, period): the plan already made is returned."""
    line = ProductionLine.objects.select_for_update().get(pk=line.pk)
    days = period_days()
    start = period_start_for(period_start or timezone.localdate(), days)
    existing = _current_plan(line, start)
    if existing is not None:
        return existing
    if line.mode != LineMode.PUSH:
        raise NotAllowed(
            f"Line {line.code} runs in {line.mode} mode: only push lines are planned.",
            field="line",
            code="not_push",
        )
    products = list(Product.objects.filter(line=line).select_related("forecast").order_by("sku"))
    bought = bought_in_components(products)
    inputs = _inputs(products)
    dependent = dependent_demand(products)
    capacity = line.capacity_per_day * days
    plan = PushPlan.objects.create(
        line=line, period_start=start, period_days=days, capacity=capacity, created_by_id=actor_id
    )
    load = Decimal("0")
    rows: list[PushPlanLine] = []
    due = timezone.make_aware(datetime.combine(start, time.min))
    for product in products:
        explanation = explain_product(
            product,
            forecast=getattr(product, "forecast", None),
            on_hand=inputs.on_hand.get(product.pk, Decimal("0")),
            open_orders=inputs.open_orders.get(product.pk, Decimal("0")),
            backorders=inputs.backorders.get(product.pk, Decimal("0")),
            start=start,
            review_days=days,
            dependent=dependent.get(product.pk),
        )
        quantity = Decimal(str(explanation["quantity"]))
        beyond = False
        if quantity > 0:
            load += quantity
            beyond = load > capacity
            explanation.update(
                {
                    "due_at": (due + timedelta(days=float(product.lead_time_days))).isoformat(),
                    "line_capacity_over_period": float(capacity),
                    "line_load_after_this_order": float(load),
                    "beyond_capacity": beyond,
                }
            )
        rows.append(
            PushPlanLine(
                plan=plan,
                product=product,
                quantity=quantity,
                beyond_capacity=beyond,
                explanation=explanation,
            )
        )
    PushPlanLine.objects.bulk_create(rows)
    if bought:  # after the plan's own lots, which their dependent demand counts
        PushPlanLine.objects.bulk_create(
            bought_in_rows(plan=plan, bought=bought, start=start, review_days=days)
        )
    plan.load = load
    plan.over_capacity = load > capacity
    plan.save(update_fields=["load", "over_capacity"])
    return plan


def _lock_plan(plan_id: int) -> PushPlan:
    plan = (
        PushPlan.objects.select_for_update(of=("self",))
        .select_related("line")
        .filter(pk=plan_id)
        .first()
    )
    if plan is None:
        raise DomainError("No push plan with that id.", field="plan", code="not_found")
    return plan


@transaction.atomic
def push_plan_release(*, plan_id: int, actor_id: int | None = None) -> PushPlan:
    """Release a reviewed draft: one work order per lot, as the draft shows it. A plan
    already released is returned as it is (releasing twice releases once)."""
    plan = _lock_plan(plan_id)
    if plan.status == PushPlanStatus.RELEASED:
        return plan
    if plan.status == PushPlanStatus.DISCARDED:
        raise NotAllowed(
            "This plan was discarded: plan the period again.", field="plan", code="discarded"
        )
    if plan.line.mode != LineMode.PUSH:
        raise NotAllowed(
            f"Line {plan.line.code} runs in {plan.line.mode} mode now: discard this plan.",
            field="line",
            code="not_push",
        )
    planned = list(
        PushPlanLine.objects.filter(plan=plan, quantity__gt=0)
        .select_related("product")
        .order_by("product__sku")
    )
    bought = [r for r in planned if r.explanation.get("replenished_by") == CALL_OFF]
    rows = [r for r in planned if r.explanation.get("replenished_by") != CALL_OFF]
    orders = [
        NewWorkOrder(
            product=row.product,
            quantity=row.quantity,
            origin=WorkOrderOrigin.PUSH,
            due_at=datetime.fromisoformat(row.explanation["due_at"]),
            plan_explanation={"plan_id": plan.pk, **row.explanation},
        )
        for row in rows
    ]
    created = work_orders_create_many(orders, actor_id=actor_id) if orders else []
    by_product = {wo.product_id: wo for wo in created}
    for row in rows:
        row.work_order = by_product.get(row.product_id)
    PushPlanLine.objects.bulk_update(rows, ["work_order"])
    work_orders_release_many(work_order_ids=[wo.pk for wo in created], actor_id=actor_id)
    release_call_offs(bought, actor_id=actor_id)
    plan.status = PushPlanStatus.RELEASED
    plan.released_at = timezone.now()
    plan.save(update_fields=["status", "released_at"])
    return plan


@transaction.atomic
def push_plan_discard(*, plan_id: int, actor_id: int | None = None) -> PushPlan:
    """Drop a draft: nothing was released, and the period may be planned again."""
    plan = _lock_plan(plan_id)
    if plan.status == PushPlanStatus.RELEASED:
        raise NotAllowed(
            "This plan is released: its work orders are cancelled one by one.",
            field="plan",
            code="released",
        )
    if plan.status == PushPlanStatus.DRAFT:
        plan.status = PushPlanStatus.DISCARDED
        plan.save(update_fields=["status"])
    return plan


@transaction.atomic
def push_plan_run(
    *, line: ProductionLine, period_start: date | None = None, actor_id: int | None = None
) -> PushPlan:
    """Draft and release one period at once (the scheduled run, the API's `run`)."""
    plan = push_plan_draft(line=line, period_start=period_start, actor_id=actor_id)
    return push_plan_release(plan_id=plan.pk, actor_id=actor_id)


def push_plans_run_due(*, today: date | None = None, actor_id: int | None = None) -> list[PushPlan]:
    """Plan the current period of every line in push mode (the beat task), after applying
    the mode switches whose date has come. A draft a planner is reviewing is left alone."""
    line_mode_switches_apply_due()
    auto = bool(settings.PULLBOARD.get("PUSH_PLAN_AUTO_RELEASE", True))
    plans = []
    lines = list(ProductionLine.objects.filter(mode=LineMode.PUSH).order_by("code"))
    for line in lines_parents_first(lines):
        start = period_start_for(today or timezone.localdate())
        mine = _current_plan(line, start) is None
        try:
            plan = push_plan_draft(line=line, period_start=start, actor_id=actor_id)
            if auto and mine:
                plan = push_plan_release(plan_id=plan.pk, actor_id=actor_id)
        except NotAllowed:
            continue  # switched back to pull since the line list was read
        plans.append(plan)
    return plans
