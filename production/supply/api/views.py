"""Viewsets of suppliers, call-offs and transfer orders. Each write calls one service."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from production.api.common import (
    INTEGRATORS,
    PLANNERS,
    ApiViewSet,
    expected_version,
    with_etag,
)
from production.api.idempotency import idempotent
from production.api.serializers import EmptySerializer
from production.api.views import IDEMPOTENCY_KEY, IF_MATCH
from production.audit.api import HistoryMixin
from production.roles import INTEGRATION, OPERATOR, PLANNER
from production.supply import selectors, services
from production.supply.api import filters
from production.supply.api.serializers import (
    CallOffSerializer,
    CancelSerializer,
    ReceiveSerializer,
    SupplierChangeSerializer,
    SupplierSerializer,
    TransferOrderSerializer,
)
from production.supply.models import CallOff, Supplier, TransferOrder

# Goods arrive at the dock or the line side: operators receive them too.
RECEIVERS = (OPERATOR, PLANNER, INTEGRATION)


@extend_schema_view(
    list=extend_schema(summary="Suppliers"),
    retrieve=extend_schema(summary="One supplier, by code"),
    create=extend_schema(summary="Create a supplier (planner)"),
    partial_update=extend_schema(summary="Change a supplier (planner)"),
    destroy=extend_schema(
        summary="Archive a supplier (planner): kept with its call-offs, takes no new ones",
        responses={200: SupplierSerializer},
    ),
)
class SupplierViewSet(
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ApiViewSet,
):
    serializer_class = SupplierSerializer
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]{1,40}"
    filterset_class = filters.SupplierFilter
    ordering_fields = ["code", "name", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    roles = {"create": PLANNERS, "partial_update": PLANNERS, "destroy": PLANNERS}

    def get_queryset(self) -> QuerySet[Supplier]:
        return selectors.suppliers()

    def get_serializer_class(self) -> Any:
        return SupplierChangeSerializer if self.action == "partial_update" else SupplierSerializer

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.supplier_create(**serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.supplier_update(
            supplier_id=serializer.instance.pk, **serializer.validated_data
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        supplier = services.supplier_archive(supplier_id=self.get_object().pk)
        return Response(SupplierSerializer(supplier).data, status=status.HTTP_200_OK)


def _action(summary: str, body: Any, answer: Any) -> Any:
    return extend_schema(
        summary=summary,
        request=body,
        responses={200: answer},
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
    )


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """What call-offs and transfer orders share: ETags from versions, actions with If-Match."""

    ordering_fields = ["id", "due_at", "created_at"]
    id_field = ""

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        order = self.get_object()
        return with_etag(Response(self.get_serializer(order).data), order.version)

    def _apply(self, request: Request, service: Any, **extra: Any) -> Response:
        order = self.get_object()
        service(
            **{self.id_field: order.pk},
            actor_id=self.actor_id(),
            expected_version=expected_version(request),
            **extra,
        )
        order = self.get_queryset().get(pk=order.pk)
        return with_etag(Response(self.get_serializer(order).data), order.version)

    def _receive(self, request: Request, service: Any) -> Response:
        body = ReceiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._apply(request, service, **body.validated_data)

    def _cancel(self, request: Request, service: Any) -> Response:
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._apply(request, service, reason=body.validated_data["reason"])


@extend_schema_view(
    list=extend_schema(summary="Call-offs to suppliers"),
    retrieve=extend_schema(summary="One call-off (ETag: its version)"),
)
class CallOffViewSet(OrderViewSet):
    """`open -> confirmed -> shipped -> received`, or `cancelled` with a reason (a shipped one:
    lost on the way)."""

    serializer_class = CallOffSerializer
    filterset_class = filters.CallOffFilter
    id_field = "call_off_id"
    roles = {
        "confirm": INTEGRATORS,
        "ship": INTEGRATORS,
        "receive": RECEIVERS,
        "cancel": INTEGRATORS,
    }

    def get_queryset(self) -> QuerySet[CallOff]:
        return selectors.call_offs()

    @_action("Confirm an open call-off", EmptySerializer, CallOffSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        return self._apply(request, services.call_off_confirm)

    @_action("Ship a confirmed call-off", EmptySerializer, CallOffSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def ship(self, request: Request, pk: str | None = None) -> Response:
        return self._apply(request, services.call_off_ship)

    @_action(
        "Receive a shipped call-off as counted (its card goes full)",
        ReceiveSerializer,
        CallOffSerializer,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def receive(self, request: Request, pk: str | None = None) -> Response:
        return self._receive(request, services.call_off_receive)

    @_action(
        "Cancel a call-off not yet shipped, with a reason", CancelSerializer, CallOffSerializer
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._cancel(request, services.call_off_cancel)


@extend_schema_view(
    list=extend_schema(summary="Transfer orders between locations"),
    retrieve=extend_schema(summary="One transfer order (ETag: its version)"),
)
class TransferOrderViewSet(OrderViewSet):
    """`open -> picked -> received`, or `cancelled` with a reason (a picked one: its goods go
    back into the source)."""

    serializer_class = TransferOrderSerializer
    filterset_class = filters.TransferOrderFilter
    id_field = "transfer_order_id"
    roles = {"pick": RECEIVERS, "receive": RECEIVERS, "cancel": INTEGRATORS}

    def get_queryset(self) -> QuerySet[TransferOrder]:
        return selectors.transfer_orders()

    @_action(
        "Pick an open transfer: takes its quantity out of the source (409 while it cannot)",
        EmptySerializer,
        TransferOrderSerializer,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def pick(self, request: Request, pk: str | None = None) -> Response:
        return self._apply(request, services.transfer_order_pick)

    @_action(
        "Receive a picked transfer as counted (its card goes full)",
        ReceiveSerializer,
        TransferOrderSerializer,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def receive(self, request: Request, pk: str | None = None) -> Response:
        return self._receive(request, services.transfer_order_receive)

    @_action(
        "Cancel a transfer not yet picked, with a reason", CancelSerializer, TransferOrderSerializer
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._cancel(request, services.transfer_order_cancel)
