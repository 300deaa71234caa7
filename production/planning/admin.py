"""Forecasts, forecast runs and push plans in the Django admin: written by the planner's
pages and the nightly tasks, read here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from production.admin import ReadOnlyAdmin, ReadOnlyInline
from production.planning.models import (
    ForecastCalendar,
    ForecastOverride,
    ForecastRun,
    ProductForecast,
    ProductForecastCalendar,
    PushPlan,
    PushPlanLine,
)


@admin.register(ForecastRun)
class ForecastRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "status",
        "trigger",
        "requested_by",
        "done_products",
        "total_products",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "trigger")
    list_select_related = ("requested_by",)
    date_hierarchy = "created_at"


@admin.register(ProductForecast)
class ProductForecastAdmin(ReadOnlyAdmin):
    list_display = ("product", "method", "sigma_daily", "history_days", "start_date", "updated_at")
    list_filter = ("method", "product__line")
    list_select_related = ("product",)
    search_fields = ("product__sku", "product__name")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """A forecast is derived (made again each night): an admin deleting a product
        takes its forecast with it, where a read-only forecast would block the deletion."""
        return request.user.is_superuser


class PushPlanLineInline(ReadOnlyInline):
    model = PushPlanLine
    fields = ("product", "quantity", "beyond_capacity", "work_order")
    readonly_fields = fields
    show_change_link = False


@admin.register(PushPlan)
class PushPlanAdmin(ReadOnlyAdmin):
    list_display = (
        "line",
        "period_start",
        "status",
        "period_days",
        "capacity",
        "load",
        "over_capacity",
    )
    list_filter = ("line", "status", "over_capacity")
    list_select_related = ("line",)
    date_hierarchy = "period_start"
    inlines = [PushPlanLineInline]


@admin.register(PushPlanLine)
class PushPlanLineAdmin(ReadOnlyAdmin):
    list_display = ("plan", "product", "quantity", "beyond_capacity", "work_order")
    list_filter = ("plan__line", "beyond_capacity")
    list_select_related = ("plan__line", "product", "work_order__product")
    search_fields = ("product__sku",)


@admin.register(ForecastOverride)
class ForecastOverrideAdmin(ReadOnlyAdmin):
    """The planners' overrides, append-only: written by the forecast page and the API."""

    list_display = (
        "product",
        "period_start",
        "kind",
        "before",
        "after",
        "created_by",
        "created_at",
    )
    list_select_related = ("product", "created_by")
    search_fields = ("product__sku", "reason")
    show_full_result_count = False


@admin.register(ForecastCalendar)
class ForecastCalendarAdmin(ReadOnlyAdmin):
    list_display = ("bucket", "season_length", "updated_by", "updated_at")


@admin.register(ProductForecastCalendar)
class ProductForecastCalendarAdmin(ReadOnlyAdmin):
    list_display = ("product", "bucket", "season_length", "updated_by", "updated_at")
    list_select_related = ("product", "updated_by")
    search_fields = ("product__sku",)
