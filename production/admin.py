"""The Django admin for production: set-up data is edited here, ledgers are read-only.

State changes (a line's mode, a work order's status, stock) go through the services,
never through a plain model save, so the admin writes the same events as the board.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from production.admin_base import (  # noqa: F401 (re-exported for the concerns' admins)
    BoundedChangeList,
    EstimatedCountPaginator,
    ReadOnlyAdmin,
    ReadOnlyInline,
)
from production.audit.admin import HistoryAdmin
from production.errors import DomainError
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
    WorkOrderEvent,
)
from production.services import (
    line_switch_mode,
    work_order_cancel,
    work_order_complete,
    work_order_release,
    work_order_start,
)


class LineModeSwitchInline(ReadOnlyInline):
    model = LineModeSwitch
    fields = (
        "created_at",
        "from_mode",
        "to_mode",
        "effective_at",
        "applied_at",
        "cancelled_at",
        "switched_by",
        "reason",
    )
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    show_change_link = False


class ProductionLineForm(forms.ModelForm):
    mode_switch_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the mode changes: it is kept in the line's audit trail.",
    )

    class Meta:
        model = ProductionLine
        fields = ("code", "name", "mode", "capacity_per_day", "wip_limit")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        switching = self.instance.pk is not None and "mode" in self.changed_data
        if switching and not cleaned.get("mode_switch_reason", "").strip():
            self.add_error("mode_switch_reason", "Say why the line changes mode.")
        return cleaned


@admin.register(ProductionLine)
class ProductionLineAdmin(HistoryAdmin):
    form = ProductionLineForm
    list_display = ("code", "name", "mode", "capacity_per_day", "wip_limit")
    list_filter = ("mode",)
    search_fields = ("code", "name")
    inlines = [LineModeSwitchInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not (change and "mode" in form.changed_data):
            super().save_model(request, obj, form, change)
            return
        # The other fields save as usual; the mode changes through the audited service.
        new_mode = obj.mode
        obj.mode = form.initial["mode"]
        super().save_model(request, obj, form, change)
        line_switch_mode(
            line=obj,
            mode=new_mode,
            reason=form.cleaned_data["mode_switch_reason"],
            actor_id=request.user.pk,
        )
        obj.refresh_from_db()


@admin.register(LineModeSwitch)
class LineModeSwitchAdmin(ReadOnlyAdmin):
    list_display = (
        "line",
        "from_mode",
        "to_mode",
        "effective_at",
        "applied_at",
        "switched_by",
        "created_at",
    )
    list_filter = ("line", "to_mode")
    list_select_related = ("line", "switched_by")
    search_fields = ("line__code", "reason")
    date_hierarchy = "created_at"


# --- Products and BOMs ---------------------------------------------------------------


class BomLineInline(admin.TabularInline):
    model = BomLine
    fk_name = "parent"
    extra = 1
    autocomplete_fields = ("component",)


@admin.register(Product)
class ProductAdmin(HistoryAdmin):
    list_display = (
        "sku",
        "name",
        "unit",
        "line",
        "supermarket",
        "container_quantity",
        "lead_time_days",
    )
    list_filter = ("line", "line__mode", "supermarket")
    list_select_related = ("line", "supermarket")
    search_fields = ("sku", "name")
    inlines = [BomLineInline]
    fieldsets = (
        (None, {"fields": ("sku", "name", "unit", "line", "supermarket")}),
        ("Kanban", {"fields": ("container_quantity", "lead_time_days")}),
        (
            "Push planning",
            {
                "classes": ("collapse",),
                "fields": (
                    "service_level",
                    "lot_sizing",
                    "fixed_lot_quantity",
                    "setup_cost",
                    "holding_cost_per_unit_day",
                ),
            },
        ),
    )


@admin.register(BomLine)
class BomLineAdmin(HistoryAdmin):
    list_display = ("parent", "component", "quantity")
    list_select_related = ("parent", "component")
    list_filter = ("parent__line",)
    search_fields = ("parent__sku", "component__sku")
    autocomplete_fields = ("parent", "component")


# --- Locations and stock ----------------------------------------------------------


@admin.register(Location)
class LocationAdmin(HistoryAdmin):
    list_display = ("code", "name", "kind")
    list_filter = ("kind",)
    search_fields = ("code", "name")


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ("product", "location", "on_hand", "updated_at")
    list_filter = ("location", "product__line")
    list_select_related = ("product", "location")
    search_fields = ("product__sku", "product__name", "location__code")


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "product",
        "location",
        "kind",
        "quantity",
        "work_order",
        "demand_event",
        "created_by",
        "note",
    )
    list_filter = ("kind", "created_at", "location", "product__line")
    list_select_related = (
        "product",
        "location",
        "work_order__product",
        "demand_event__product",
        "created_by",
    )
    search_fields = ("product__sku__exact",)
    search_help_text = _("A product's SKU, exactly.")
    ordering = ("-id",)  # newest first: the primary key, and (product_id, id) for a SKU

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[StockMove], search_term: str
    ) -> tuple[QuerySet[StockMove], bool]:
        """The SKU resolved to its product first: the moves are then an index range."""
        term = search_term.strip()
        if not term:
            return queryset, False
        product_ids = list(Product.objects.filter(sku=term).values_list("pk", flat=True))
        return queryset.filter(product_id__in=product_ids), False


# --- Work orders ---------------------------------------------------------------------


class WorkOrderEventInline(ReadOnlyInline):
    model = WorkOrderEvent
    fields = ("created_at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields
    show_change_link = False


def _run_on_each(
    request: HttpRequest,
    queryset: QuerySet[WorkOrder],
    apply: Any,
    done: str,
) -> None:
    """Apply one service per selected order; each runs in its own transaction."""
    ok = 0
    for work_order in queryset.order_by("pk"):
        try:
            apply(work_order)
        except DomainError as error:
            messages.error(request, f"WO-{work_order.pk}: {error.message}")
        else:
            ok += 1
    if ok:
        messages.success(request, f"{ok} work order(s) {done}.")


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdmin):
    """Work orders change status through their state machine (actions), never by editing."""

    list_display = (
        "id",
        "product",
        "quantity",
        "line",
        "origin",
        "status",
        "due_at",
        "created_at",
        "completed_at",
    )
    list_filter = ("status", "origin", "created_at", "line")
    list_select_related = ("product", "line")
    search_fields = ("=id", "product__sku__exact")
    search_help_text = _("A work order's number, or a product's SKU exactly.")
    inlines = [WorkOrderEventInline]
    actions = ["release", "start", "complete", "cancel"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Change permission is what the actions need; the form itself stays read-only.
        return obj is None and request.user.has_perm("production.change_workorder")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in WorkOrder._meta.fields]

    @admin.action(permissions=["change"], description="Release selected planned push/manual orders")
    def release(self, request: HttpRequest, queryset: QuerySet[WorkOrder]) -> None:
        _run_on_each(
            request,
            queryset,
            lambda wo: work_order_release(work_order_id=wo.pk, actor_id=request.user.pk),
            "released",
        )

    @admin.action(permissions=["change"], description="Start selected released push/manual orders")
    def start(self, request: HttpRequest, queryset: QuerySet[WorkOrder]) -> None:
        _run_on_each(
            request,
            queryset,
            lambda wo: work_order_start(work_order_id=wo.pk, actor_id=request.user.pk),
            "started",
        )

    @admin.action(
        permissions=["change"], description="Complete selected push/manual orders in progress"
    )
    def complete(self, request: HttpRequest, queryset: QuerySet[WorkOrder]) -> None:
        _run_on_each(
            request,
            queryset,
            lambda wo: work_order_complete(work_order_id=wo.pk, actor_id=request.user.pk),
            "completed",
        )

    @admin.action(permissions=["change"], description="Cancel selected push/manual orders")
    def cancel(self, request: HttpRequest, queryset: QuerySet[WorkOrder]) -> None:
        _run_on_each(
            request,
            queryset,
            lambda wo: work_order_cancel(
                work_order_id=wo.pk,
                actor_id=request.user.pk,
                reason=f"cancelled in the admin by {request.user.get_username()}",
            ),
            "cancelled",
        )


@admin.register(WorkOrderEvent)
class WorkOrderEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "work_order", "from_status", "to_status", "actor", "reason")
    list_filter = ("to_status", "created_at", "work_order__line")
    list_select_related = ("work_order__product", "actor")
    search_fields = ("=work_order__id",)
    search_help_text = _("A work order's number.")
    ordering = ("-id",)


# --- Demand --------------------------------------------------------------------------


@admin.register(DemandEvent)
class DemandEventAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_at",
        "product",
        "quantity",
        "source",
        "external_id",
        "status",
        "backordered_quantity",
        "open_backorder_quantity",
        "processed_at",
    )
    # No filter by source: its choices would be every distinct source of millions of rows.
    list_filter = ("status", "occurred_at", "product__line")
    list_select_related = ("product",)
    search_fields = ("external_id__exact", "product__sku__exact")
    search_help_text = _("An external id or a product's SKU, exactly.")


# --- Forecasts and push plans (written by the planning services) -------------------------
