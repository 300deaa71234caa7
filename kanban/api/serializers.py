"""Loops and cards as the ERP sees them (DESIGN.md, "Contract with the ERP (v1)")."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from kanban.models import CardStatus, KanbanCard, KanbanLoop


class LoopSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku", read_only=True)
    location = serializers.CharField(source="location.code", read_only=True)
    card_count = serializers.IntegerField(read_only=True, help_text="Cards not retired.")
    on_hold = serializers.BooleanField(
        read_only=True, help_text="On hold: its cards raise no pull signal."
    )
    hold_reason = serializers.CharField(
        read_only=True,
        help_text="Why it is on hold: machine_down, quality_hold, missing_part, other; empty if not.",
    )
    supplier: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Supplier code (supplier)."
    )
    source_location: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text="Where its containers come from (transfer).",
    )
    minimum = serializers.DecimalField(
        max_digits=14,
        decimal_places=3,
        read_only=True,
        source="effective_minimum",
        help_text="Stock below this raises stock.below_minimum (one container unless set).",
    )

    class Meta:
        model = KanbanLoop
        fields = [
            "id",
            "product",
            "location",
            "container_quantity",
            "card_count",
            "source",
            "supplier",
            "source_location",
            "transfer_lead_time_days",
            "minimum",
            "recommended_card_count",
            "recommended_at",
            "recommendation",
            "on_hold",
            "hold_reason",
            "hold_note",
            "held_at",
        ]
        read_only_fields = fields


class ApplySizingResultSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    retired = serializers.IntegerField()
    still_to_retire = serializers.IntegerField(
        help_text="Cards in use or in process that could not be retired yet."
    )
    loop = LoopSerializer()


class CardSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="loop.product.sku", read_only=True)
    on_hold = serializers.BooleanField(
        source="signals_held",
        read_only=True,
        help_text="The card or its loop is on hold: it raises no pull signal.",
    )
    hold_reason = serializers.CharField(
        read_only=True,
        help_text="Why it is on hold: machine_down, quality_hold, missing_part, other; empty if not.",
    )

    class Meta:
        model = KanbanCard
        fields = [
            "id",
            "loop",
            "product",
            "number",
            "status",
            "remaining_quantity",
            "version",
            "work_order",
            "status_changed_at",
            "on_hold",
            "hold_reason",
            "hold_note",
            "held_at",
            "one_time",
        ]
        read_only_fields = fields


class CardMoveSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=CardStatus.choices)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    wip_override_reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed to start work past the line's WIP limit; it is logged.",
    )
