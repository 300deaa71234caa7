"""Viewsets of the ERP API (production side). Each write calls one service."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from production.api import demand as intake
from production.api import filters as api_filters
from production.api import selectors
from production.api.common import (
    INTEGRATORS,
    PLANNERS,
    ApiViewSet,
    expected_version,
    with_etag,
)
from production.api.idempotency import idempotent
from production.api.masterdata import (
    StockAdjustmentResultSerializer,
    StockAdjustmentSerializer,
    WorkOrderCreateSerializer,
)
from production.api.serializers import (
    BackorderSerializer,
    DemandEventBatchResultSerializer,
    DemandEventInputSerializer,
    DemandEventResultSerializer,
    DemandEventSerializer,
    EmptySerializer,
    LineModeSwitchSerializer,
    LineSerializer,
    LineSwitchModeSerializer,
    ProductSerializer,
    StockLevelSerializer,
    StockMoveSerializer,
    WorkOrderCancelSerializer,
    WorkOrderSerializer,
)
from production.audit.api import HistoryMixin
from production.models import Product, ProductionLine, WorkOrder
from production.services import (
    line_switch_mode,
    work_order_cancel,
    work_order_complete,
    work_order_release,
    work_order_start,
)
from production.services.locations import product_archive
from production.services.products import (
    BomItem,
    line_create,
    line_update,
    product_create,
    product_update,
)
from production.services.stock_corrections import stock_correct
from production.services.work_orders import work_order_expedite

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any unique string (1-255 chars): a repeat replays the first response.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The ETag you read (e.g. "3"): a stale one gets 412 and changes nothing.',
)


@extend_schema_view(
    list=extend_schema(summary="Products"),
    retrieve=extend_schema(summary="One product, by SKU"),
    create=extend_schema(
        summary="Create a product (planner)",
        description="Without `supermarket`, the plant's default supermarket: "
        "`PULLBOARD_DEFAULT_SUPERMARKET`, or the only active supermarket.",
    ),
    partial_update=extend_schema(summary="Change a product (planner)"),
    destroy=extend_schema(
        summary="Archive a product (planner): kept with its history, takes no new demand",
        responses={200: ProductSerializer},
    ),
)
class ProductViewSet(
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ApiViewSet,
):
    serializer_class = ProductSerializer
    lookup_field = "sku"
    lookup_value_regex = "[^/]+"
    filterset_class = api_filters.ProductFilter
    ordering_fields = ["sku", "name", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    roles = {"create": PLANNERS, "partial_update": PLANNERS, "destroy": PLANNERS}

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.products()

    def _values(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[BomItem] | None]:
        bom = data.pop("bom_lines", None)
        items = None if bom is None else [BomItem(b["component"], b["quantity"]) for b in bom]
        return data, items

    def perform_create(self, serializer: Any) -> None:
        values, bom = self._values(dict(serializer.validated_data))
        serializer.instance = product_create(bom=bom or [], actor_id=self.actor_id(), **values)

    def perform_update(self, serializer: Any) -> None:
        values, bom = self._values(dict(serializer.validated_data))
        values.pop("sku", None)
        serializer.instance = product_update(
            product=serializer.instance, bom=bom, actor_id=self.actor_id(), **values
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        product_archive(product=self.get_object(), actor_id=self.actor_id())
        return Response(self.get_serializer(self.get_queryset().get(sku=kwargs["sku"])).data)


@extend_schema_view(
    list=extend_schema(summary="Production lines"),
    retrieve=extend_schema(summary="One line, by code"),
    create=extend_schema(summary="Create a line (planner)"),
    partial_update=extend_schema(summary="Change a line's name, capacity or WIP limit"),
)
class LineViewSet(
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ApiViewSet,
):
    serializer_class = LineSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filterset_class = api_filters.LineFilter
    ordering_fields = ["code", "name", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    roles = {"create": PLANNERS, "partial_update": PLANNERS, "switch_mode": PLANNERS}

    def get_queryset(self) -> QuerySet[ProductionLine]:
        return selectors.lines()

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = line_create(actor_id=self.actor_id(), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        values = dict(serializer.validated_data)
        values.pop("code", None)
        serializer.instance = line_update(
            line=serializer.instance, actor_id=self.actor_id(), **values
        )

    @extend_schema(
        summary="Switch the line between pull and push (planner), with a reason",
        request=LineSwitchModeSerializer,
        responses={200: LineModeSwitchSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"], url_path="switch-mode")
    @idempotent
    def switch_mode(self, request: Request, code: str | None = None) -> Response:
        line = self.get_object()
        body = LineSwitchModeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        switch = line_switch_mode(
            line=line,
            mode=body.validated_data["mode"],
            reason=body.validated_data["reason"],
            effective_at=body.validated_data.get("effective_at"),
            actor_id=self.actor_id(),
        )
        return Response(LineModeSwitchSerializer(switch).data)


def _work_order_action(summary: str, request_serializer: Any = EmptySerializer) -> Any:
    return extend_schema(
        summary=summary,
        request=request_serializer,
        responses={200: WorkOrderSerializer},
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
    )


@extend_schema_view(
    list=extend_schema(summary="Work orders"),
    retrieve=extend_schema(summary="One work order (ETag: its version)"),
)
class WorkOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Kanban work orders follow their card: their actions answer 409 `follows_card`."""

    serializer_class = WorkOrderSerializer
    filterset_class = api_filters.WorkOrderFilter
    ordering_fields = ["id", "created_at", "quantity"]
    roles = dict.fromkeys(("create", "release", "start", "complete", "cancel"), INTEGRATORS)

    @extend_schema(
        summary="Raise a manual (expedite) order: released at once, shown on its line's board",
        request=WorkOrderCreateSerializer,
        responses={201: WorkOrderSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = WorkOrderCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = work_order_expedite(actor_id=self.actor_id(), **body.validated_data)
        order = self.get_queryset().get(pk=order.pk)
        response = Response(self.get_serializer(order).data, status=status.HTTP_201_CREATED)
        return with_etag(response, order.version)

    def get_queryset(self) -> QuerySet[WorkOrder]:
        return selectors.work_orders()

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        order = self.get_object()
        return with_etag(Response(self.get_serializer(order).data), order.version)

    def _transition(self, request: Request, service: Any, **extra: Any) -> Response:
        order = self.get_object()
        version = expected_version(request)
        service(work_order_id=order.pk, actor_id=self.actor_id(), expected_version=version, **extra)
        order = self.get_queryset().get(pk=order.pk)
        return with_etag(Response(self.get_serializer(order).data), order.version)

    @_work_order_action("Release a planned work order")
    @action(detail=True, methods=["post"])
    @idempotent
    def release(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, work_order_release)

    @_work_order_action("Start a released work order (consumes its components)")
    @action(detail=True, methods=["post"])
    @idempotent
    def start(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, work_order_start)

    @_work_order_action("Complete a work order in progress (receives its quantity)")
    @action(detail=True, methods=["post"])
    @idempotent
    def complete(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, work_order_complete)

    @_work_order_action("Cancel a work order, with a reason", WorkOrderCancelSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        body = WorkOrderCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._transition(request, work_order_cancel, reason=body.validated_data["reason"])


DEMAND_LIST = DemandEventInputSerializer(  # type: ignore[call-arg]
    many=True, min_length=1, max_length=intake.MAX_ITEMS
)
DEMAND_INTAKE = PolymorphicProxySerializer(
    component_name="DemandEventIntake",
    serializers=[DemandEventInputSerializer, DEMAND_LIST],
    resource_type_field_name=None,
    many=False,
)
DEMAND_RESULT = PolymorphicProxySerializer(
    component_name="DemandEventIntakeResult",
    serializers=[DemandEventResultSerializer, DemandEventBatchResultSerializer],
    resource_type_field_name=None,
    many=False,
)


@extend_schema_view(
    list=extend_schema(summary="Demand events"),
    retrieve=extend_schema(summary="One demand event"),
)
class DemandEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = DemandEventSerializer
    filterset_class = api_filters.DemandEventFilter
    ordering_fields = ["id", "occurred_at", "quantity"]
    roles = {"create": INTEGRATORS}

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.demand_events()

    def throttle_cost(self, request: Request) -> int:
        """A list of events costs one per event (up to the most a list may hold)."""
        if self.action == "create" and isinstance(request.data, list):
            return min(len(request.data), intake.MAX_ITEMS)
        return 1

    @extend_schema(
        summary="Send demand: one event, or a list of up to 1,000",
        description=(
            "A list is all or nothing: if any item is invalid the answer is 400 with every "
            "item and field at fault (`errors[].field` like `[3].product`) and nothing is "
            "stored. A repeated (source, external_id) is answered `duplicate` and changes "
            "nothing. One event answers 201 (created) or 200 (duplicate) with the event; a "
            "list answers 201 if any event was created, else 200, with per-item results."
        ),
        request=DEMAND_INTAKE,
        responses={
            201: OpenApiResponse(DEMAND_RESULT, description="At least one event stored."),
            200: OpenApiResponse(DEMAND_RESULT, description="Every event was a repeat."),
        },
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        inputs, many = intake.parse_items(request.data)
        recorded = intake.record(inputs, many)
        results = intake.results_data(recorded)
        created = sum(1 for r in recorded if r.created)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        if not many:
            return Response(results[0], status=code)
        body = {"created": created, "duplicates": len(results) - created, "results": results}
        return Response(body, status=code)


@extend_schema_view(list=extend_schema(summary="Open backorders: demand still waiting for stock"))
class BackorderViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = BackorderSerializer
    filterset_class = api_filters.BackorderFilter
    ordering_fields = ["id", "occurred_at", "open_backorder_quantity"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.backorders()


@extend_schema_view(list=extend_schema(summary="Stock levels per product and location"))
class StockViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = StockLevelSerializer
    filterset_class = api_filters.StockLevelFilter
    ordering_fields = ["id", "on_hand"]
    roles = {"adjustments": INTEGRATORS}

    def get_queryset(self) -> QuerySet[Any]:
        if self.action == "ledger":
            return selectors.stock_moves()
        return selectors.stock_levels()

    def get_serializer_class(self) -> Any:
        return StockMoveSerializer if self.action == "ledger" else StockLevelSerializer

    @extend_schema(
        summary="Correct stock: a physical count, scrap, or a receipt without an order",
        description="A count sets on hand to `counted`; scrap takes `quantity` out (never "
        "below zero); a receipt puts `quantity` in. Each books one ledger move with who and "
        "why (a count equal to the level books none: 200). What it does to a loop's cards: "
        "see docs/api.md.",
        request=StockAdjustmentSerializer,
        responses={201: StockAdjustmentResultSerializer, 200: StockAdjustmentResultSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def adjustments(self, request: Request) -> Response:
        body = StockAdjustmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        product = values.pop("product")
        correction = stock_correct(
            product=product,
            location=values.pop("location", None) or product.supermarket,
            actor_id=self.actor_id(),
            **values,
        )
        code = status.HTTP_201_CREATED if correction.move else status.HTTP_200_OK
        return Response(StockAdjustmentResultSerializer(correction).data, status=code)

    @extend_schema(
        summary="The stock ledger: every move, newest first",
        filters=True,
        responses={200: StockMoveSerializer(many=True)},
    )
    @action(
        detail=False,
        methods=["get"],
        filterset_class=api_filters.StockMoveFilter,
        ordering_fields=["id", "created_at", "quantity"],
    )
    def ledger(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(StockMoveSerializer(page, many=True).data)
