"""Serializers of the ERP API: field names follow DESIGN.md's "Contract with the ERP (v1)"."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from production.models import (
    QUANTITY,
    DemandEvent,
    LineMode,
    Location,
    Product,
    ProductionLine,
    StockLevel,
    StockMove,
    WorkOrder,
)
from production.validators import SKU_MAX_LENGTH, SKU_PATTERN, validate_sku

POSITIVE = Decimal("0.001")
# The largest quantity the ledger's columns hold (numeric(14, 3)).
QUANTITY_MAX = Decimal(10) ** (QUANTITY["max_digits"] - QUANTITY["decimal_places"]) - POSITIVE


def loop_max_cards() -> int:
    return int(settings.PULLBOARD["LOOP_MAX_CARDS"])


def quantity_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(**QUANTITY, min_value=POSITIVE, **kwargs)


class BomItemSerializer(serializers.Serializer):
    component = serializers.SlugRelatedField(
        slug_field="sku", queryset=Product.objects.all(), help_text="The component's SKU."
    )
    quantity = quantity_field(help_text="Quantity per unit of the parent.")


class ProductSerializer(serializers.ModelSerializer):
    sku = serializers.RegexField(
        SKU_PATTERN,
        max_length=SKU_MAX_LENGTH,
        error_messages={"invalid": validate_sku.message},
        help_text="Starts with a letter or digit; then letters, digits, dot, dash, underscore.",
    )
    line = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ProductionLine.objects.all(),
        allow_null=True,
        required=False,
        help_text="Code of the line that makes it; null for a purchased (bought-in) product.",
    )
    supermarket = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Location.objects.all(),
        required=False,
        help_text="Code of the location where its stock sits. Defaults to the plant's "
        "default supermarket (PULLBOARD_DEFAULT_SUPERMARKET, or the only one).",
    )
    container_quantity = quantity_field()
    lead_time_days = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=POSITIVE)
    bom = BomItemSerializer(source="bom_lines", many=True, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """What a container leads to must fit the stock ledger's quantities (a 400 naming
        the field, not a database overflow when the loop opens or a work order starts):
        a full loop's stock, and each component a container's work order consumes."""
        container = attrs.get("container_quantity")
        if container is None and self.instance is not None:
            container = self.instance.container_quantity
        if container is None:
            return attrs
        cards = loop_max_cards()
        if container * cards > QUANTITY_MAX:
            most = f"{QUANTITY_MAX // cards:,}"
            raise serializers.ValidationError(
                {
                    "container_quantity": _(
                        "At most %(most)s: a loop of %(cards)d full containers must fit."
                    )
                    % {"most": most, "cards": cards}
                }
            )
        if "bom_lines" in attrs:
            items = [
                (f"bom[{i}].quantity", item["quantity"])
                for i, item in enumerate(attrs["bom_lines"])
            ]
        elif self.instance is not None and "container_quantity" in attrs:
            items = [
                ("container_quantity", line.quantity) for line in self.instance.bom_lines.all()
            ]
        else:
            items = []
        for field, quantity in items:
            if container * quantity > QUANTITY_MAX:
                needed, most = f"{container * quantity:,}", f"{QUANTITY_MAX:,}"
                message = _(
                    "A container needs %(needed)s of a component, more than a stock quantity "
                    "holds (%(most)s)."
                ) % {"needed": needed, "most": most}
                raise serializers.ValidationError({field: message})
        return attrs

    class Meta:
        model = Product
        fields = [
            "sku",
            "name",
            "unit",
            "line",
            "supermarket",
            "container_quantity",
            "lead_time_days",
            "bom",
            "archived_at",
        ]
        read_only_fields = ["archived_at"]


class LineSerializer(serializers.ModelSerializer):
    code = serializers.SlugField(max_length=40)
    capacity_per_day = quantity_field()
    wip_limit = serializers.IntegerField(min_value=1, max_value=1_000_000)

    class Meta:
        model = ProductionLine
        fields = ["code", "name", "mode", "capacity_per_day", "wip_limit"]
        read_only_fields = ["mode"]


class LineSwitchModeSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=LineMode.choices)
    reason = serializers.CharField(max_length=2000)
    effective_at = serializers.DateTimeField(required=False, help_text="Defaults to now.")


class LineModeSwitchSerializer(serializers.Serializer):
    line = serializers.CharField(source="line.code")
    from_mode = serializers.CharField()
    to_mode = serializers.CharField()
    reason = serializers.CharField()
    effective_at = serializers.DateTimeField()
    applied_at = serializers.DateTimeField(
        allow_null=True, help_text="When the line changed mode; null while the switch is to come."
    )
    created_at = serializers.DateTimeField()


class WorkOrderSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku", read_only=True)
    line = serializers.CharField(source="line.code", read_only=True, allow_null=True)
    location = serializers.CharField(source="location.code", read_only=True)
    card = serializers.SerializerMethodField(help_text="The kanban card it answers, if any.")

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "product",
            "quantity",
            "line",
            "location",
            "origin",
            "status",
            "card",
            "version",
            "due_at",
            "created_at",
            "released_at",
            "started_at",
            "completed_at",
            "cancelled_at",
        ]
        read_only_fields = fields

    def get_card(self, work_order: WorkOrder) -> int | None:
        return getattr(work_order, "card_id", None)


class WorkOrderCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class EmptySerializer(serializers.Serializer):
    """No body needed."""


class DemandEventSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku", read_only=True)
    location: serializers.SlugRelatedField[Location] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = DemandEvent
        fields = [
            "id",
            "external_id",
            "source",
            "product",
            "location",
            "quantity",
            "occurred_at",
            "status",
            "backordered_quantity",
            "open_backorder_quantity",
            "processed_at",
            "created_at",
        ]
        read_only_fields = fields


def demand_quantity_limit() -> Decimal:
    return Decimal(settings.PULLBOARD["DEMAND_MAX_QUANTITY"])


def demand_time_window(now: datetime) -> tuple[datetime, datetime]:
    """The `occurred_at` accepted at `now`: from `DEMAND_OLDEST_DAYS` back to
    `DEMAND_AHEAD_HOURS` ahead (clocks of two systems are never quite equal)."""
    limits = settings.PULLBOARD
    return (
        now - timedelta(days=limits["DEMAND_OLDEST_DAYS"]),
        now + timedelta(hours=limits["DEMAND_AHEAD_HOURS"]),
    )


DATE_ONLY = re.compile(r"^\s*[0-9]{4}-?[0-9]{2}-?[0-9]{2}\s*$")


class ZonedDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time with its offset (`Z` or `+02:00`): a bare date or a time
    without a zone is refused, since the API cannot know which day or hour it means."""

    default_error_messages = {
        "date_only": _("Give a date and a time with its offset, e.g. 2026-03-01T08:30:00Z."),
        "naive": _("Give the time zone offset (Z or +hh:mm), e.g. 2026-03-01T08:30:00+01:00."),
        "overflow": _("This date and time is out of range."),
    }

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            if DATE_ONLY.match(value):
                self.fail("date_only")
            parsed = None
            with contextlib.suppress(ValueError):
                parsed = parse_datetime(value)
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        try:
            return super().to_internal_value(value)
        except OverflowError:
            self.fail("overflow")


class DemandEventInputSerializer(serializers.Serializer):
    external_id = serializers.CharField(
        max_length=128, help_text="Your id of the event: a repeat (per source) changes nothing."
    )
    source = serializers.CharField(max_length=64, default="erp")  # type: ignore[assignment]
    product = serializers.CharField(max_length=64, help_text="SKU of the product demanded.")
    location = serializers.CharField(
        max_length=40,
        required=False,
        allow_null=True,
        help_text="Code of the location where it is consumed (line-side); without one, the "
        "product's supermarket.",
    )
    quantity = quantity_field(
        help_text="At most `PULLBOARD_DEMAND_MAX_QUANTITY` (1,000,000 unless configured)."
    )
    occurred_at = ZonedDateTimeField(
        required=False,
        help_text="With its offset; from `PULLBOARD_DEMAND_OLDEST_DAYS` (3,650) ago to "
        "`PULLBOARD_DEMAND_AHEAD_HOURS` (24) ahead. Defaults to now.",
    )

    def validate_quantity(self, value: Decimal) -> Decimal:
        limit = demand_quantity_limit()
        if value > limit:
            raise serializers.ValidationError(
                _("At most %(limit)s per event.") % {"limit": f"{limit:,}"}
            )
        return value

    def validate_occurred_at(self, value: datetime) -> datetime:
        oldest, latest = demand_time_window(timezone.now())
        try:
            inside = oldest <= value <= latest
        except OverflowError:
            inside = False
        if not inside:
            raise serializers.ValidationError(
                _("Must lie between %(oldest)s and %(latest)s.")
                % {
                    "oldest": oldest.date().isoformat(),
                    "latest": latest.isoformat(timespec="minutes"),
                }
            )
        return value


class DemandEventResultSerializer(DemandEventSerializer):
    result = serializers.ChoiceField(
        choices=["created", "duplicate"],
        help_text="`duplicate`: the (source, external_id) was already stored; nothing changed.",
    )

    class Meta(DemandEventSerializer.Meta):
        fields = [*DemandEventSerializer.Meta.fields, "result"]
        read_only_fields = fields


class DemandEventBatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    results = DemandEventResultSerializer(many=True)


class BackorderSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = DemandEvent
        fields = [
            "id",
            "external_id",
            "source",
            "product",
            "quantity",
            "backordered_quantity",
            "open_backorder_quantity",
            "occurred_at",
            "status",
        ]
        read_only_fields = fields


class StockLevelSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku", read_only=True)
    location = serializers.CharField(source="location.code", read_only=True)

    class Meta:
        model = StockLevel
        fields = ["id", "product", "location", "on_hand", "updated_at"]
        read_only_fields = fields


class StockMoveSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku", read_only=True)
    location = serializers.CharField(source="location.code", read_only=True)

    class Meta:
        model = StockMove
        fields = [
            "id",
            "product",
            "location",
            "kind",
            "quantity",
            "demand_event",
            "work_order",
            "note",
            "created_at",
        ]
        read_only_fields = fields
