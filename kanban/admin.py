"""The Django admin for kanban loops. Loops open and resize through the services;
cards and their events are read-only here (cards move on the board, by scan or API)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kanban.models import (
    ACTIVE_CARD_STATUSES,
    CardEvent,
    HoldEvent,
    KanbanCard,
    KanbanLoop,
    PullSignal,
)
from kanban.services import (
    loop_apply_sizing,
    loop_create,
    loop_issue_one_time_card,
    loop_max_cards,
    loop_release,
    loops_size,
)
from production.admin import ReadOnlyAdmin, ReadOnlyInline
from production.errors import DomainError

HOLD_FIELDS = ("hold_reason", "hold_note", "held_at", "held_by")


class KanbanCardInline(ReadOnlyInline):
    model = KanbanCard
    fields = (
        "number",
        "status",
        "remaining_quantity",
        "version",
        "work_order",
        "status_changed_at",
    )
    readonly_fields = fields
    ordering = ("number",)


class LoopCreateForm(forms.ModelForm):
    """A new loop: its cards start full and their stock is received by an opening move."""

    card_count = forms.IntegerField(
        min_value=1,
        help_text="Cards (containers) to open the loop with; all start full.",
    )

    class Meta:
        model = KanbanLoop
        fields = ("product", "location", "container_quantity", "safety_factor")

    def clean_card_count(self) -> int:
        count: int = self.cleaned_data["card_count"]
        limit = loop_max_cards()
        if count > limit:
            raise forms.ValidationError(
                gettext("A loop has at most %(limit)d cards (PULLBOARD_LOOP_MAX_CARDS).")
                % {"limit": limit}
            )
        return count

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].required = False
        self.fields["location"].help_text = "Leave empty for the product's own supermarket."
        self.fields["container_quantity"].required = False
        self.fields["container_quantity"].help_text = "Leave empty for the product's own."

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        product = cleaned.get("product")
        if product is not None:
            cleaned["location"] = cleaned.get("location") or product.supermarket
            cleaned["container_quantity"] = (
                cleaned.get("container_quantity") or product.container_quantity
            )
            self.instance.location = cleaned["location"]
            self.instance.container_quantity = cleaned["container_quantity"]
        return cleaned


@admin.register(KanbanLoop)
class KanbanLoopAdmin(admin.ModelAdmin):
    list_display = (
        "product",
        "location",
        "line",
        "container_quantity",
        "active_cards",
        "recommended_card_count",
        "safety_factor",
        "recommended_at",
        "hold_reason",
    )
    list_filter = ("product__line", "product__line__mode", "location")
    list_select_related = ("product__line", "location")
    search_fields = ("product__sku", "product__name")
    inlines = [KanbanCardInline]
    actions = ["size_now", "apply_sizing", "release_hold", "issue_one_time_card"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[KanbanLoop]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_card_count=Count("cards", filter=Q(cards__status__in=ACTIVE_CARD_STATUSES))
            )
        )

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        if obj is None:
            kwargs["form"] = LoopCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["product", "location", "container_quantity", "card_count", "safety_factor"]
        return [
            "product",
            "location",
            "container_quantity",
            "safety_factor",
            "sizing_window_days",
            "recommended_card_count",
            "recommended_at",
            "recommendation",
            *HOLD_FIELDS,
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        # Changing what a container holds would strand the stock of the cards out there.
        return [
            "product",
            "location",
            "container_quantity",
            "recommended_card_count",
            "recommended_at",
            "recommendation",
            *HOLD_FIELDS,  # a hold goes through its service (the card's page), with its event
        ]

    @admin.display(description="Cards", ordering="active_card_count")
    def active_cards(self, loop: KanbanLoop) -> int:
        return getattr(loop, "active_card_count", 0)

    @admin.display(description="Line", ordering="product__line__code")
    def line(self, loop: KanbanLoop) -> str:
        line = loop.product.line
        return line.code if line else "-"  # a purchased product: no line

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        loop = loop_create(
            product=form.cleaned_data["product"],
            location=form.cleaned_data["location"],
            container_quantity=Decimal(form.cleaned_data["container_quantity"]),
            card_count=form.cleaned_data["card_count"],
            safety_factor=form.cleaned_data["safety_factor"],
            actor_id=request.user.pk,
        )
        obj.pk = loop.pk
        obj._state.adding = False

    @admin.action(permissions=["change"], description="Size now (recommend a card count)")
    def size_now(self, request: HttpRequest, queryset: QuerySet[KanbanLoop]) -> None:
        lines = [
            f"{loop.product.sku}: {loop.recommended_card_count}"
            for loop in loops_size(loops=queryset)
        ]
        messages.success(request, "Recommended cards: " + ", ".join(lines) + ".")

    @admin.action(permissions=["change"], description="Apply sizing (add or retire cards)")
    def apply_sizing(self, request: HttpRequest, queryset: QuerySet[KanbanLoop]) -> None:
        for loop in queryset.select_related("product").order_by("pk"):
            try:
                result = loop_apply_sizing(loop_id=loop.pk, actor_id=request.user.pk)
            except DomainError as error:
                messages.error(request, f"{loop.product.sku}: {error.message}")
                continue
            text = (
                f"{loop.product.sku}: {result['added']} card(s) added, {result['retired']} retired"
            )
            if result["still_to_retire"]:
                text += f", {result['still_to_retire']} still to retire once back full or empty"
                messages.warning(request, text + ".")
            else:
                messages.success(request, text + ".")

    @admin.action(permissions=["change"], description=_("Release from hold"))
    def release_hold(self, request: HttpRequest, queryset: QuerySet[KanbanLoop]) -> None:
        for loop in queryset.exclude(hold_reason="").order_by("pk"):
            loop_release(loop_id=loop.pk, actor_id=request.user.pk, note="released in the admin")
        messages.success(request, _("Released the loops that were on hold."))

    @admin.action(permissions=["change"], description=_("Issue a one-time card (demand spike)"))
    def issue_one_time_card(self, request: HttpRequest, queryset: QuerySet[KanbanLoop]) -> None:
        for loop in queryset.order_by("pk"):
            card = loop_issue_one_time_card(
                loop_id=loop.pk,
                reason="demand spike (issued in the admin)",
                actor_id=request.user.pk,
            )
            messages.success(request, f"{loop.product.sku}: one-time card #{card.number} issued.")


@admin.register(HoldEvent)
class HoldEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "loop", "card", "action", "reason", "note", "actor")
    list_select_related = ("loop__product", "loop__location", "card__loop__product", "actor")
    search_fields = ("loop__product__sku__exact",)
    search_help_text = _("A product's SKU, exactly.")
    ordering = ("-id",)


@admin.register(KanbanCard)
class KanbanCardAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "loop",
        "number",
        "status",
        "remaining_quantity",
        "version",
        "work_order",
        "status_changed_at",
        "hold_reason",
        "loop_held",
        "one_time",
    )
    list_filter = ("status", "loop__product__line", "loop__location")
    list_select_related = ("loop__product", "loop__location", "work_order__product")
    search_fields = ("loop__product__sku", "=number")


@admin.register(CardEvent)
class CardEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "card",
        "from_status",
        "to_status",
        "source",
        "actor",
        "wip_override",
        "reason",
    )
    list_filter = ("to_status", "source", "wip_override", "created_at", "card__loop__product__line")
    list_select_related = ("card__loop__product", "actor")
    search_fields = ("card__loop__product__sku__exact",)
    search_help_text = _("A product's SKU, exactly.")
    ordering = ("-id",)


@admin.register(PullSignal)
class PullSignalAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "card",
        "work_order",
        "call_off",
        "transfer_order",
        "fulfilled_at",
    )
    list_filter = ("created_at", "card__loop__product__line")
    list_select_related = (
        "card__loop__product",
        "work_order__product",
        "call_off",
        "transfer_order",
    )
    search_fields = ("card__loop__product__sku__exact",)
    search_help_text = _("A product's SKU, exactly.")
    ordering = ("-id",)
