"""Reads shaped for the forecast and push-plan pages and endpoints."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from production.models import LineModeSwitch, ProductionLine
from production.planning.models import ForecastRun, ProductForecast, PushPlan, PushPlanLine

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
    return plan.lines.select_related("product", "work_order").order_by("product__sku")


def switches_to_come(lines: list[ProductionLine] | None = None) -> dict[int, LineModeSwitch]:
    """The switch still to come of each line that has one (one query)."""
    pending = LineModeSwitch.objects.filter(applied_at__isnull=True, cancelled_at__isnull=True)
    if lines is not None:
        pending = pending.filter(line__in=lines)
    return {s.line_id: s for s in pending.order_by("created_at", "id")}


def line_switch_history(line: ProductionLine) -> QuerySet[LineModeSwitch]:
    return line.mode_switches.select_related("switched_by").order_by("-created_at", "-id")


def forecast_chart(
    forecast: ProductForecast, *, label: str | None = None, days: int = 56, ahead: int = 28
) -> dict[str, Any]:
    """The last ``days`` of demand and the next ``ahead`` days of forecast, for the chart."""
    from production.planning.services.forecasts import daily_histories

    history = daily_histories([forecast.product_id], end=forecast.start_date, max_days=days)[
        forecast.product_id
    ]
    start = forecast.start_date
    values = [float(v) for v in forecast.values[:ahead]]
    return {
        "method": label or forecast.method,
        "history": [float(v) for v in history],
        "history_days": [
            (start - timedelta(days=len(history) - i)).isoformat() for i in range(len(history))
        ],
        "forecast": values,
        "forecast_days": [(start + timedelta(days=i)).isoformat() for i in range(len(values))],
    }
