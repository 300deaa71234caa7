"""Reads shaped for the forecast and push-plan pages and endpoints."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from production.models import LineModeSwitch, Product, ProductionLine
from production.planning.forecasting import calendar as cal
from production.planning.models import (
    ForecastCalendar,
    ForecastOverride,
    ForecastRun,
    ProductForecast,
    ProductForecastCalendar,
    PushPlan,
    PushPlanLine,
)

FORECASTS_PER_PAGE = 100


def product_forecasts() -> QuerySet[ProductForecast]:
    return ProductForecast.objects.select_related("product", "product__line").order_by(
        "product__sku"
    )


def product_forecasts_page(page: str | int | None) -> Page[ProductForecast]:
    """One page of the forecasts in SKU order (a plant has thousands); `last` is the last."""
    paginator = Paginator(product_forecasts(), FORECASTS_PER_PAGE)
    return paginator.get_page(paginator.num_pages if page == "last" else page)


def latest_forecast_run() -> ForecastRun | None:
    return ForecastRun.objects.order_by("-created_at", "-id").first()


def push_plans() -> QuerySet[PushPlan]:
    return PushPlan.objects.select_related("line").order_by("-period_start", "line__code")


def push_plan_lines(plan: PushPlan) -> QuerySet[PushPlanLine]:
    return plan.lines.select_related("product", "work_order", "call_off__supplier").order_by(
        "product__sku"
    )


def switches_to_come(lines: list[ProductionLine] | None = None) -> dict[int, LineModeSwitch]:
    """The switch still to come of each line that has one (one query)."""
    pending = LineModeSwitch.objects.filter(applied_at__isnull=True, cancelled_at__isnull=True)
    if lines is not None:
        pending = pending.filter(line__in=lines)
    return {s.line_id: s for s in pending.order_by("created_at", "id")}


def line_switch_history(line: ProductionLine) -> QuerySet[LineModeSwitch]:
    return line.mode_switches.select_related("switched_by").order_by("-created_at", "-id")


CHART_HISTORY = {"day": 56, "week": 52, "month": 36}  # buckets of history on the chart


def plant_forecast_calendar() -> ForecastCalendar | None:
    return ForecastCalendar.objects.order_by("pk").first()


def product_calendar_initial(product: Product) -> dict[str, Any]:
    own = ProductForecastCalendar.objects.filter(product=product).first()
    return {"bucket": own.bucket, "season_length": own.season_length} if own else {}


def forecast_override_history(product: Product) -> QuerySet[ForecastOverride]:
    return ForecastOverride.objects.filter(product=product).select_related("created_by")


def forecast_buckets(forecast: ProductForecast) -> list[dict[str, Any]]:
    """Per bucket: start, the model's value, the value in force, and both intervals."""
    from production.planning.services.forecast_overrides import effective_values

    starts = cal.bucket_dates(forecast.start_date, forecast.bucket, len(forecast.values))
    in_force = effective_values(forecast)
    bands = {lv: forecast.intervals.get(lv, {}) for lv in ("80", "95")}

    def at(level: str, side: str, i: int) -> float | None:
        values = bands[level].get(side) or []
        return float(values[i]) if i < len(values) else None

    return [
        {
            "start": start,
            "model": float(forecast.values[i]),
            "in_force": in_force[i],
            "overridden": start.isoformat() in forecast.overrides,
            "lower_80": at("80", "lower", i),
            "upper_80": at("80", "upper", i),
            "lower_95": at("95", "lower", i),
            "upper_95": at("95", "upper", i),
        }
        for i, start in enumerate(starts)
    ]


def forecast_chart(
    forecast: ProductForecast, *, label: str | None = None, ahead: int = 28
) -> dict[str, Any]:
    """The last buckets of demand and the next ``ahead`` buckets of forecast (in force,
    and the model's 80 % interval), in the forecast's own buckets, for the chart."""
    from production.planning.services.forecasts import daily_histories

    bucket = forecast.bucket
    shown = CHART_HISTORY.get(bucket, 56)
    days = math.ceil(shown * cal.NOMINAL_DAYS.get(bucket, 1.0)) + 31
    daily = daily_histories([forecast.product_id], end=forecast.start_date, max_days=days)[
        forecast.product_id
    ]
    history, _ = cal.to_buckets(daily, end=forecast.start_date, bucket=bucket)
    history = history[-shown:]
    rows = forecast_buckets(forecast)[:ahead]
    first = forecast.start_date
    past = []
    for _i in range(len(history)):
        first = cal.bucket_start(first - timedelta(days=1), bucket)
        past.append(first)
    return {
        "method": label or forecast.method,
        "unit": bucket,
        "history": [float(v) for v in history],
        "history_days": [d.isoformat() for d in reversed(past)],
        "forecast": [r["in_force"] for r in rows],
        "lower": [r["lower_80"] for r in rows],
        "upper": [r["upper_80"] for r in rows],
        "forecast_days": [r["start"].isoformat() for r in rows],
    }
