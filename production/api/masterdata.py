"""Master data and corrections over the API: locations, stock adjustments, manual
(expedite) work orders. Each write calls one service; DELETE archives."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from production.api.common import PLANNERS, ApiViewSet
from production.api.filters import ArchivedFilter
from production.api.idempotency import idempotent
from production.api.serializers import ZonedDateTimeField, quantity_field
from production.audit.api import HistoryMixin
from production.models import QUANTITY, Location, LocationKind, Product
from production.services.locations import location_archive, location_create, location_update
from production.services.stock_corrections import CorrectionKind


class LocationSerializer(serializers.ModelSerializer):
    code = serializers.SlugField(max_length=40)
    kind = serializers.ChoiceField(choices=LocationKind.choices, default=LocationKind.SUPERMARKET)

    class Meta:
        model = Location
        fields = ["code", "name", "kind", "archived_at"]
        read_only_fields = ["archived_at"]


class LocationFilter(df.FilterSet):
    kind = df.ChoiceFilter(choices=LocationKind.choices)
    archived = ArchivedFilter()

    class Meta:
        model = Location
        fields = ["kind", "archived"]


@extend_schema_view(
    list=extend_schema(summary="Locations (supermarkets, warehouses, line-side, stores)"),
    retrieve=extend_schema(summary="One location, by code"),
    create=extend_schema(summary="Create a location (planner)"),
    partial_update=extend_schema(summary="Change a location's name or kind (planner)"),
    destroy=extend_schema(
        summary="Archive a location (planner): kept with its history, takes no new work",
        responses={200: LocationSerializer},
    ),
)
class LocationViewSet(
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ApiViewSet,
):
    serializer_class = LocationSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filterset_class = LocationFilter
    ordering_fields = ["code", "name", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    roles = {"create": PLANNERS, "partial_update": PLANNERS, "destroy": PLANNERS}

    def get_queryset(self) -> QuerySet[Location]:
        return Location.objects.all()

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = location_create(actor_id=self.actor_id(), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        values = dict(serializer.validated_data)
        values.pop("code", None)
        serializer.instance = location_update(
            location=serializer.instance, actor_id=self.actor_id(), **values
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        location = location_archive(location=self.get_object(), actor_id=self.actor_id())
        return Response(LocationSerializer(location).data)


class StockAdjustmentSerializer(serializers.Serializer):
    product = serializers.SlugRelatedField(
        slug_field="sku", queryset=Product.objects.all(), help_text="SKU of the product."
    )
    location = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Location.objects.all(),
        required=False,
        help_text="Location code; defaults to the product's supermarket.",
    )
    kind = serializers.ChoiceField(
        choices=[
            (CorrectionKind.COUNT, _("Physical count: sets on hand to `counted`")),
            (CorrectionKind.SCRAP, _("Scrap: takes `quantity` out")),
            (CorrectionKind.RECEIPT, _("Receipt without an order: puts `quantity` in")),
        ]
    )
    counted = serializers.DecimalField(
        **QUANTITY, required=False, help_text="For `count`: what is really there (0 or more)."
    )
    quantity = quantity_field(required=False, help_text="For `scrap` and `receipt`.")
    reason = serializers.CharField(max_length=180, help_text="Why: kept with the ledger move.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == CorrectionKind.COUNT:
            if "counted" not in attrs:
                raise serializers.ValidationError({"counted": _("A count needs `counted`.")})
            if attrs["counted"] < 0:
                raise serializers.ValidationError({"counted": _("A count cannot be below zero.")})
            if "quantity" in attrs:
                raise serializers.ValidationError(
                    {"quantity": _("A count takes `counted`, not `quantity`.")}
                )
        else:
            if "quantity" not in attrs:
                raise serializers.ValidationError({"quantity": _("Give `quantity`.")})
            if "counted" in attrs:
                raise serializers.ValidationError(
                    {"counted": _("Only a count takes `counted`; give `quantity`.")}
                )
        return attrs


class StockAdjustmentResultSerializer(serializers.Serializer):
    kind = serializers.CharField()
    product = serializers.CharField(source="level.product.sku")
    location = serializers.CharField(source="level.location.code")
    before = serializers.DecimalField(**QUANTITY, help_text="On hand before the correction.")
    delta = serializers.DecimalField(**QUANTITY, help_text="What the correction moved.")
    on_hand = serializers.DecimalField(source="level.on_hand", **QUANTITY)
    move = serializers.IntegerField(
        source="move.pk", allow_null=True, help_text="The ledger move; null if nothing changed."
    )


class WorkOrderCreateSerializer(serializers.Serializer):
    product = serializers.SlugRelatedField(
        slug_field="sku", queryset=Product.objects.all(), help_text="SKU of the product to make."
    )
    quantity = quantity_field()
    due_at = ZonedDateTimeField(help_text="When it is needed, with its offset.")
    reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="Why expedite."
    )


CREATED = status.HTTP_201_CREATED
