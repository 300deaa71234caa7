"""The supplier's API: `supplier/call-offs/`, a supplier's token or login limited to its
own supplier's open call-offs, with `confirm/` and `ship/` (If-Match, Idempotency-Key).

Everything else of the API refuses a supplier (403: its role is none of the plant's); a
call-off of another supplier, or one no longer open, is not found (404).
"""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from production.api.common import ApiViewSet, expected_version, with_etag
from production.api.filters import sku_filter
from production.api.idempotency import idempotent
from production.api.views import IDEMPOTENCY_KEY, IF_MATCH
from production.roles import SUPPLIER
from production.supply.models import CallOff, Supplier
from production.supply.portal.selectors import (
    SUPPLIER_STATUS_CHOICES,
    supplier_call_offs,
    supplier_of,
)
from production.supply.services import call_off_confirm, call_off_ship

SUPPLIERS = (SUPPLIER,)


class SupplierCallOffSerializer(serializers.ModelSerializer):
    """What a supplier sees of a call-off: what to deliver, where and by when."""

    product = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    unit = serializers.CharField(source="product.unit", read_only=True)
    location = serializers.CharField(source="location.code", read_only=True)
    late = serializers.BooleanField(read_only=True)

    class Meta:
        model = CallOff
        fields = [
            "id",
            "product",
            "product_name",
            "unit",
            "quantity",
            "location",
            "status",
            "due_at",
            "late",
            "version",
            "created_at",
            "confirmed_at",
            "shipped_at",
        ]
        read_only_fields = fields


class SupplierCallOffFilter(df.FilterSet):
    status = df.MultipleChoiceFilter(choices=SUPPLIER_STATUS_CHOICES, distinct=False)
    product = sku_filter()

    class Meta:
        model = CallOff
        fields = ["status", "product"]


def _action_schema(summary: str) -> Any:
    return extend_schema(
        summary=summary,
        request=None,
        responses={200: SupplierCallOffSerializer},
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
    )


@extend_schema_view(
    list=extend_schema(summary="Your open call-offs (supplier)"),
    retrieve=extend_schema(summary="One of your open call-offs (ETag: its version)"),
)
class SupplierCallOffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = SupplierCallOffSerializer
    filterset_class = SupplierCallOffFilter
    ordering_fields = ["id", "due_at"]
    roles = {"read": SUPPLIERS, "confirm": SUPPLIERS, "ship": SUPPLIERS}

    def supplier(self) -> Supplier:
        supplier = supplier_of(self.request.user)
        if supplier is None:
            raise PermissionDenied("Your login is not tied to a supplier.")
        return supplier

    def get_queryset(self) -> QuerySet[CallOff]:
        if getattr(self, "swagger_fake_view", False):  # the schema: no user to scope by
            return CallOff.objects.none()
        return supplier_call_offs(supplier_id=self.supplier().pk)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        call_off = self.get_object()
        return with_etag(Response(self.get_serializer(call_off).data), call_off.version)

    def _transition(self, request: Request, service: Any) -> Response:
        call_off = self.get_object()  # 404 for another supplier's call-off
        version = expected_version(request)
        service(call_off_id=call_off.pk, actor_id=self.actor_id(), expected_version=version)
        call_off = CallOff.objects.select_related("product", "location").get(pk=call_off.pk)
        return with_etag(Response(self.get_serializer(call_off).data), call_off.version)

    @_action_schema("Confirm an open call-off (supplier)")
    @action(detail=True, methods=["post"])
    @idempotent
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, call_off_confirm)

    @_action_schema("Mark a confirmed call-off shipped (supplier)")
    @action(detail=True, methods=["post"])
    @idempotent
    def ship(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, call_off_ship)


router = SimpleRouter()
router.register("supplier/call-offs", SupplierCallOffViewSet, basename="supplier-call-off")
urlpatterns: list[Any] = [*router.urls]
