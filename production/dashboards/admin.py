"""The dashboards' per-day sums in the Django admin, read-only: PostgreSQL's triggers keep
them equal to the ledger and the demand (`manage.py rebuild_daily_flows` recomputes them)."""

from __future__ import annotations

from django.contrib import admin

from production.admin import ReadOnlyAdmin
from production.dashboards.models import DailyDemand, DailyLineOrders, DailyStockFlow


@admin.register(DailyStockFlow)
class DailyStockFlowAdmin(ReadOnlyAdmin):
    list_display = ("day", "product", "location", "quantity", "moves")
    list_select_related = ("product", "location")
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(DailyDemand)
class DailyDemandAdmin(ReadOnlyAdmin):
    list_display = ("day", "product", "demanded", "events", "processed", "backordered")
    list_select_related = ("product",)
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(DailyLineOrders)
class DailyLineOrdersAdmin(ReadOnlyAdmin):
    list_display = ("day", "line", "product", "signalled", "released", "completed", "done_orders")
    list_select_related = ("line", "product")
    ordering = ("-id",)
    show_full_result_count = False
