"""Serializers of suppliers, call-offs and transfer orders, and of their actions' bodies."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from production.api.serializers import quantity_field
from production.supply.models import CallOff, Supplier, TransferOrder
from production.supply.selectors import waiting_text

ORDER_FIELDS = [
    "id",
    "product",
    "quantity",
    "received_quantity",
    "difference",
    "receipt_reason",
    "status",
    "card",
    "due_at",
    "late",
    "late_at",
    "version",
    "created_at",
    "received_at",
    "cancelled_at",
]


class SupplierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Supplier
        fields = ["code", "name", "lead_time_days", "email", "archived_at", "created_at"]
        read_only_fields = ["archived_at", "created_at"]
        extra_kwargs: dict[str, dict[str, Any]] = {
            "code": {"validators": []}
        }  # uniqueness: the service's clear error


class SupplierChangeSerializer(SupplierSerializer):
    class Meta(SupplierSerializer.Meta):
        read_only_fields = ["code", "archived_at", "created_at"]


class OrderSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku", read_only=True)
    card = serializers.IntegerField(
        source="pull_signal.card_id",
        read_only=True,
        allow_null=True,
        help_text="The kanban card whose signal made the order (none for one made otherwise).",
    )
    late = serializers.BooleanField(
        read_only=True, help_text="Still open past its due time, or received after it."
    )
    difference = serializers.DecimalField(
        max_digits=14,
        decimal_places=3,
        read_only=True,
        allow_null=True,
        help_text="Counted minus ordered, once received (negative: short).",
    )


class CallOffSerializer(OrderSerializer):
    supplier = serializers.CharField(source="supplier.code", read_only=True)
    location = serializers.CharField(source="location.code", read_only=True)

    class Meta:
        model = CallOff
        fields = [*ORDER_FIELDS, "supplier", "location", "confirmed_at", "shipped_at"]
        read_only_fields = fields


class TransferOrderSerializer(OrderSerializer):
    from_location = serializers.CharField(source="from_location.code", read_only=True)
    to_location = serializers.CharField(source="to_location.code", read_only=True)
    waiting_for = serializers.SerializerMethodField(
        help_text="While open: what the source lacks to cover it (empty when it can)."
    )

    class Meta:
        model = TransferOrder
        fields = [*ORDER_FIELDS, "from_location", "to_location", "picked_at", "waiting_for"]
        read_only_fields = fields

    def get_waiting_for(self, order: TransferOrder) -> str:
        return waiting_text(order)


class ReceiveSerializer(serializers.Serializer):
    quantity = quantity_field(help_text="The quantity counted in (short or over: give a reason).")
    reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


def order_class(order: Any) -> type[OrderSerializer]:
    return CallOffSerializer if isinstance(order, CallOff) else TransferOrderSerializer
