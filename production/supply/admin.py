from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _

from production.admin_base import ReadOnlyAdmin, ReadOnlyInline
from production.audit.admin import HistoryAdmin
from production.supply.models import (
    CallOff,
    CallOffEvent,
    CallOffMail,
    Supplier,
    SupplierUser,
    TransferOrder,
    TransferOrderEvent,
)
from production.supply.portal.services import supplier_user_tie, supplier_user_untie


@admin.register(Supplier)
class SupplierAdmin(HistoryAdmin):
    list_display = ("code", "name", "lead_time_days", "email", "archived_at")
    search_fields = ("code", "name")


class SupplierUserForm(forms.ModelForm):
    class Meta:
        model = SupplierUser
        fields = ("user", "supplier")

    def clean_user(self) -> Any:
        user = self.cleaned_data["user"]
        if user.is_staff or user.is_superuser:
            raise forms.ValidationError(
                _("A staff or admin user cannot be a supplier's user: create a login of its own.")
            )
        return user


@admin.register(SupplierUser)
class SupplierUserAdmin(admin.ModelAdmin):
    """Ties a login to its supplier; the service gives the user the `supplier` role."""

    form = SupplierUserForm
    list_display = ("user", "supplier", "created_at")
    search_fields = ("user__username", "supplier__code")
    list_select_related = ("user", "supplier")
    autocomplete_fields = ("supplier",)
    raw_id_fields = ("user",)

    def save_model(self, request: Any, obj: SupplierUser, form: Any, change: bool) -> None:
        tied = supplier_user_tie(user=obj.user, supplier=obj.supplier)
        obj.pk, obj.created_at = tied.pk, tied.created_at

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        return ("user",) if obj else ()  # another login: a link of its own

    def delete_model(self, request: Any, obj: SupplierUser) -> None:
        supplier_user_untie(user=obj.user)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for link in queryset.select_related("user"):
            supplier_user_untie(user=link.user)


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


@admin.register(CallOffMail)
class CallOffMailAdmin(ReadOnlyAdmin):
    """The call-off e-mails' outbox: what was sent, what is pending and why it failed."""

    list_display = ("created_at", "call_off", "to", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status",)
    list_select_related = ("call_off",)
    ordering = ("-id",)
    show_full_result_count = False
