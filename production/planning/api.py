"""Forecasts and push plans over the API: read them, refresh, plan, explain an order."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from production.api.common import PLANNERS, ApiViewSet, StrictPageSize
from production.errors import DomainError
from production.models import Product, ProductionLine, WorkOrder
from production.planning import selectors
from production.planning.models import (
    MAX_SEASON,
    ForecastBucket,
    ForecastCalendar,
    ForecastOverride,
    ForecastRun,
    OverrideKind,
    ProductForecast,
    PushPlan,
    PushPlanLine,
)
from production.planning.services.forecast_overrides import (
    effective_values,
    forecast_calendar_set,
    forecast_override,
    product_forecast_calendar_set,
)
from production.planning.services.forecasts import forecast_run_request
from production.planning.services.push import (
    push_plan_discard,
    push_plan_draft,
    push_plan_release,
    push_plan_run,
)


class ProductForecastSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku")
    line = serializers.CharField(source="product.line.code", allow_null=True)
    values_in_force = serializers.SerializerMethodField(
        help_text="The forecast per bucket that push planning uses: `values` with `overrides`."
    )

    def get_values_in_force(self, obj: ProductForecast) -> list[float]:
        return effective_values(obj)

    class Meta:
        model = ProductForecast
        fields = [
            "product",
            "line",
            "method",
            "fallback_reason",
            "scores",
            "start_date",
            "values",
            "values_in_force",
            "overrides",
            "intervals",
            "bucket",
            "season_length",
            "calendar_source",
            "sigma_daily",
            "history_days",
            "history_buckets",
            "run",
            "updated_at",
        ]


class CalendarSerializer(serializers.Serializer):
    bucket = serializers.ChoiceField(
        choices=[("", "detected"), *ForecastBucket.choices],
        allow_blank=True,
        required=False,
        default="",
        help_text="day, week or month; blank: the plant's, else detected from the history.",
    )
    season_length = serializers.IntegerField(
        min_value=1,
        max_value=max(MAX_SEASON.values()),
        allow_null=True,
        required=False,
        default=None,
        help_text="Buckets per season (1: none); null: the plant's, else detected.",
    )


class OverrideInputSerializer(serializers.Serializer):
    period_start = serializers.DateField(help_text="First day of one of the forecast's buckets.")
    kind = serializers.ChoiceField(choices=OverrideKind.choices)
    quantity = serializers.FloatField(
        required=False, allow_null=True, default=None, min_value=-1e9, max_value=1e9
    )
    reason = serializers.CharField(max_length=2000)


class OverrideSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku")
    created_by = serializers.CharField(source="created_by.username", default=None)

    class Meta:
        model = ForecastOverride
        fields = [
            "id",
            "product",
            "bucket",
            "period_start",
            "kind",
            "quantity",
            "before",
            "after",
            "model_value",
            "reason",
            "created_by",
            "created_at",
        ]


class ForecastRunSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ForecastRun
        fields = [
            "id",
            "status",
            "trigger",
            "total_products",
            "done_products",
            "progress_percent",
            "message",
            "created_at",
            "started_at",
            "finished_at",
        ]


class PushPlanLineSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku")

    class Meta:
        model = PushPlanLine
        fields = ["product", "quantity", "beyond_capacity", "work_order", "call_off", "explanation"]


class PushPlanSerializer(serializers.ModelSerializer):
    line = serializers.CharField(source="line.code")

    class Meta:
        model = PushPlan
        fields = [
            "id",
            "line",
            "status",
            "released_at",
            "period_start",
            "period_days",
            "capacity",
            "load",
            "over_capacity",
            "created_at",
        ]


class PushPlanDetailSerializer(PushPlanSerializer):
    lines = PushPlanLineSerializer(many=True, read_only=True)

    class Meta(PushPlanSerializer.Meta):
        fields = [*PushPlanSerializer.Meta.fields, "lines"]


class PushPlanRunSerializer(serializers.Serializer):
    line = serializers.SlugField(help_text="Line code; the line must be in push mode.")
    period_start = serializers.DateField(required=False, help_text="Default: today's period.")


class ExplanationSerializer(serializers.Serializer):
    work_order = serializers.IntegerField()
    product = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
    explanation = serializers.DictField()


class BySkuPage(StrictPageSize, PageNumberPagination):
    """Forecasts read in SKU order (a cursor cannot order by a related field)."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class ForecastViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Each product's current forecast: method kept, every method's backtest scores, values."""

    serializer_class = ProductForecastSerializer
    pagination_class = BySkuPage  # type: ignore[assignment]
    lookup_field = "product__sku"
    lookup_url_kwarg = "sku"
    lookup_value_regex = "[^/]+"
    ordering_fields = ["product__sku"]
    roles = {"read": PLANNERS, "refresh": PLANNERS, "calendar": PLANNERS, "overrides": PLANNERS}

    def get_queryset(self) -> QuerySet[ProductForecast]:
        return selectors.product_forecasts()

    @extend_schema(request=CalendarSerializer, responses={200: CalendarSerializer})
    @action(detail=True, methods=["get", "put"])
    def calendar(self, request: Request, sku: str | None = None) -> Response:
        """This product's own calendar (blank fields: the plant's, else detected)."""
        product = get_object_or_404(Product, sku=sku)
        if request.method == "PUT":
            body = CalendarSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            product_forecast_calendar_set(
                product=product, actor_id=self.actor_id(), **body.validated_data
            )
        initial = selectors.product_calendar_initial(product)
        return Response(CalendarSerializer(initial or {"bucket": "", "season_length": None}).data)

    @extend_schema(
        request=OverrideInputSerializer,
        responses={200: OverrideSerializer(many=True), 201: OverrideSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def overrides(self, request: Request, sku: str | None = None) -> Response:
        """The planner's overrides of this product's forecast (newest first), or a new one:
        set, adjust (signed quantity) or clear one bucket, with a reason."""
        product = get_object_or_404(Product, sku=sku)
        if request.method == "POST":
            body = OverrideInputSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            row = forecast_override(
                product=product, actor_id=self.actor_id(), **body.validated_data
            )
            return Response(OverrideSerializer(row).data, status=status.HTTP_201_CREATED)
        rows = selectors.forecast_override_history(product).select_related("product")[:200]
        return Response(OverrideSerializer(rows, many=True).data)

    @extend_schema(request=None, responses={202: ForecastRunSerializer})
    @action(detail=False, methods=["post"])
    def refresh(self, request: Request) -> Response:
        """Queue a refresh of every forecast (a refresh already running is reused)."""
        run = forecast_run_request(actor_id=self.actor_id())
        return Response(ForecastRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class ForecastCalendarViewSet(ApiViewSet):
    """The plant's forecast calendar: bucket and season for every product without its own."""

    serializer_class = CalendarSerializer
    queryset = ForecastCalendar.objects.none()
    pagination_class = None  # type: ignore[assignment]
    roles = {"read": PLANNERS, "update": PLANNERS}

    @extend_schema(responses={200: CalendarSerializer})
    def retrieve(self, request: Request) -> Response:
        plant = selectors.plant_forecast_calendar()
        data = {"bucket": plant.bucket, "season_length": plant.season_length} if plant else {}
        return Response(CalendarSerializer(data or {"bucket": "", "season_length": None}).data)

    @extend_schema(request=CalendarSerializer, responses={200: CalendarSerializer})
    def update(self, request: Request) -> Response:
        body = CalendarSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        forecast_calendar_set(actor_id=self.actor_id(), **body.validated_data)
        return self.retrieve(request)


class ForecastRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Refresh runs with their progress."""

    serializer_class = ForecastRunSerializer
    ordering_fields = ["id", "created_at"]
    roles = {"read": PLANNERS}

    def get_queryset(self) -> QuerySet[ForecastRun]:
        return ForecastRun.objects.all()


class PushPlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Push plans per line and period, each product's numbers, and the plan run command."""

    ordering_fields = ["id", "period_start"]
    roles = {
        "read": PLANNERS,
        "run": PLANNERS,
        "draft": PLANNERS,
        "release": PLANNERS,
        "discard": PLANNERS,
    }

    def get_queryset(self) -> QuerySet[PushPlan]:
        queryset = selectors.push_plans()
        if self.action == "retrieve":
            return queryset.prefetch_related("lines__product")
        return queryset

    def get_serializer_class(self) -> Any:
        return PushPlanDetailSerializer if self.action == "retrieve" else PushPlanSerializer

    @extend_schema(request=PushPlanRunSerializer, responses={201: PushPlanDetailSerializer})
    @action(detail=False, methods=["post"])
    def run(self, request: Request) -> Response:
        """Plan and release a push line's period now (idempotent per line and period)."""
        body = PushPlanRunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        line = ProductionLine.objects.filter(code=body.validated_data["line"]).first()
        if line is None:
            raise DomainError("No line with that code.", field="line", code="not_found")
        plan = push_plan_run(
            line=line,
            period_start=body.validated_data.get("period_start"),
            actor_id=self.actor_id(),
        )
        plan = self.get_queryset().prefetch_related("lines__product").get(pk=plan.pk)
        return Response(PushPlanDetailSerializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PushPlanRunSerializer, responses={201: PushPlanDetailSerializer})
    @action(detail=False, methods=["post"])
    def draft(self, request: Request) -> Response:
        """Plan a push line's period as a draft to review (nothing released)."""
        body = PushPlanRunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        line = ProductionLine.objects.filter(code=body.validated_data["line"]).first()
        if line is None:
            raise DomainError("No line with that code.", field="line", code="not_found")
        plan = push_plan_draft(
            line=line,
            period_start=body.validated_data.get("period_start"),
            actor_id=self.actor_id(),
        )
        plan = self.get_queryset().prefetch_related("lines__product").get(pk=plan.pk)
        return Response(PushPlanDetailSerializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: PushPlanDetailSerializer})
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str | None = None) -> Response:
        """Release a reviewed draft (a plan already released is returned as it is)."""
        plan = push_plan_release(plan_id=self.get_object().pk, actor_id=self.actor_id())
        plan = self.get_queryset().prefetch_related("lines__product").get(pk=plan.pk)
        return Response(PushPlanDetailSerializer(plan).data)

    @extend_schema(request=None, responses={200: PushPlanDetailSerializer})
    @action(detail=True, methods=["post"])
    def discard(self, request: Request, pk: str | None = None) -> Response:
        """Discard a draft; the period may be planned again."""
        plan = push_plan_discard(plan_id=self.get_object().pk, actor_id=self.actor_id())
        plan = self.get_queryset().prefetch_related("lines__product").get(pk=plan.pk)
        return Response(PushPlanDetailSerializer(plan).data)


class PushOrderViewSet(ApiViewSet):
    """Why a push work order has its quantity: the numbers it came from."""

    serializer_class = ExplanationSerializer
    pagination_class = None  # type: ignore[assignment]
    roles = {"read": PLANNERS}

    def get_queryset(self) -> QuerySet[WorkOrder]:
        return WorkOrder.objects.filter(origin="push").select_related("product")

    @action(detail=True, methods=["get"])
    def explanation(self, request: Request, pk: str | None = None) -> Response:
        order = get_object_or_404(self.get_queryset(), pk=pk)
        data = {
            "work_order": order.pk,
            "product": order.product.sku,
            "quantity": order.quantity,
            "explanation": order.plan_explanation,
        }
        return Response(ExplanationSerializer(data).data)


router = SimpleRouter()
router.register("forecasts", ForecastViewSet, basename="forecast")
router.register("forecast-runs", ForecastRunViewSet, basename="forecast-run")
calendar_view = ForecastCalendarViewSet.as_view({"get": "retrieve", "put": "update"})
router.register("push-plans", PushPlanViewSet, basename="push-plan")
router.register("push-orders", PushOrderViewSet, basename="push-order")

urlpatterns = [
    path("forecast-calendar/", calendar_view, name="forecast-calendar"),
    *router.urls,
]
