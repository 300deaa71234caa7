from django.contrib import admin

from production.admin_base import ReadOnlyAdmin, ReadOnlyInline
from production.supply.models import (
    CallOff,
    CallOffEvent,
    Supplier,
    TransferOrder,
    TransferOrderEvent,
)


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "lead_time_days", "email", "archived_at")
    search_fields = ("code", "name")


class CallOffEventInline(ReadOnlyInline):
    model = CallOffEvent
    fields = ("created_at", "from_status", "to_status", "quantity", "actor", "reason")
    readonly_fields = fields


class TransferOrderEventInline(ReadOnlyInline):
    model = TransferOrderEvent
    fields = ("created_at", "from_status", "to_status", "quantity", "actor", "reason")
    readonly_fields = fields


@admin.register(CallOff)
class CallOffAdmin(ReadOnlyAdmin):
    """Call-offs move by their services (API, board, scan), never by editing here."""

    list_display = ("id", "supplier", "product", "quantity", "status", "due_at", "late_at")
    list_select_related = ("supplier", "product")
    search_fields = ("product__sku__exact", "supplier__code__exact")
    inlines = [CallOffEventInline]


@admin.register(TransferOrder)
class TransferOrderAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "product",
        "from_location",
        "to_location",
        "quantity",
        "status",
        "due_at",
        "late_at",
    )
    list_select_related = ("product", "from_location", "to_location")
    search_fields = ("product__sku__exact",)
    inlines = [TransferOrderEventInline]


@admin.register(CallOffEvent)
class CallOffEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "call_off", "from_status", "to_status", "quantity", "actor")
    list_select_related = ("call_off", "actor")


@admin.register(TransferOrderEvent)
class TransferOrderEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "transfer_order",
        "from_status",
        "to_status",
        "quantity",
        "actor",
    )
    list_select_related = ("transfer_order", "actor")
