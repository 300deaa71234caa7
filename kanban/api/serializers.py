"""Loops and cards as the ERP sees them (DESIGN.md, "Contract with the ERP (v1)")."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kanban.codes import card_code
from kanban.models import CardStatus, KanbanCard, KanbanLoop
from kanban.services.opening import Opening
from production.api.serializers import QUANTITY_MAX, loop_max_cards, quantity_field
from production.models import Location, Product
from production.supply.models import ReplenishmentSource, Supplier


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
            "archived_at",
        ]
        read_only_fields = fields


def _check_loop_stock(container: Any, cards: int | None) -> None:
    """A loop's full stock must fit the ledger's quantities (a 400, not an overflow)."""
    most_cards = cards or loop_max_cards()
    if container is not None and container * most_cards > QUANTITY_MAX:
        raise serializers.ValidationError(
            {
                "container_quantity": _("Too large: %(cards)d full containers must fit the ledger.")
                % {"cards": most_cards}
            }
        )


class LoopCreateSerializer(serializers.Serializer):
    product = serializers.SlugRelatedField(
        slug_field="sku", queryset=Product.objects.all(), help_text="SKU of the product."
    )
    location = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Location.objects.all(),
        required=False,
        help_text="Location code; defaults to the product's supermarket.",
    )
    container_quantity = quantity_field(
        required=False, help_text="Defaults to the product's container quantity."
    )
    card_count = serializers.IntegerField(min_value=1, help_text="Cards (containers) in the loop.")
    opening = serializers.ChoiceField(
        choices=[
            (Opening.FULL, _("full: the stock is there, received by an opening move")),
            (Opening.EMPTY, _("empty: no stock yet, every card signals")),
        ],
        help_text="`full`: every container is there (its stock is booked); `empty`: a new "
        "part with no stock, every card signals one container to make.",
    )
    source = serializers.ChoiceField(  # type: ignore[assignment]  # a field, not Field.source
        choices=ReplenishmentSource.choices,
        required=False,
        default=ReplenishmentSource.PRODUCTION,
        help_text="`production` (a work order on the product's line), `supplier` (a call-off) "
        "or `transfer` (a transfer order from `source_location`).",
    )
    supplier = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Supplier.objects.all(),
        required=False,
        allow_null=True,
        help_text="Supplier code (a `supplier` loop).",
    )
    source_location = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Location.objects.all(),
        required=False,
        allow_null=True,
        help_text="Location code the containers come from (a `transfer` loop).",
    )
    transfer_lead_time_days = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="A transfer loop's lead time in days (1 unless given).",
    )
    minimum = serializers.DecimalField(
        max_digits=14,
        decimal_places=3,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="Stock below this raises stock.below_minimum (one container unless set).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        _check_loop_stock(attrs.get("container_quantity"), attrs.get("card_count"))
        return attrs


class LoopUpdateSerializer(serializers.Serializer):
    card_count = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Cards added start empty and signal; retired ones are taken from the "
        "empty, then the full cards (as apply-sizing does).",
    )
    container_quantity = quantity_field(
        required=False,
        help_text="Applies to each card from its next signal (docs/api.md).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(
                {"card_count": _("Give `card_count` or `container_quantity`.")}
            )
        _check_loop_stock(attrs.get("container_quantity"), None)
        return attrs


class LoopChangeResultSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    retired = serializers.IntegerField()
    still_to_retire = serializers.IntegerField(
        help_text="Cards in use or in process that could not be retired yet."
    )
    loop = LoopSerializer()


class ApplySizingResultSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    retired = serializers.IntegerField()
    still_to_retire = serializers.IntegerField(
        help_text="Cards in use or in process that could not be retired yet."
    )
    loop = LoopSerializer()


class CardSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="loop.product.sku", read_only=True)
    code = serializers.SerializerMethodField(
        help_text="What its label says (QR code, barcode, text), with its check digit."
    )
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
            "code",
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

    def get_code(self, card: KanbanCard) -> str:
        return card_code(card.pk)


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
