"""Comparisons API: start a push-vs-pull comparison on the line twin, follow it, read it.

`POST /api/v1/comparisons/` takes either a live `line` (its demand over a period is
replayed) or a whole `spec` (a line that does not exist yet). The run is a Celery job;
`progress` goes from 0 to 1 and `status` ends `done` or `failed`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.db.models.fields.json import KT
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django_filters import rest_framework as df
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from production.api.common import PLANNERS, ApiViewSet
from production.api.serializers import demand_time_window
from production.comparisons.models import Comparison, ComparisonKind, ComparisonStatus
from production.comparisons.selectors import comparisons_side_by_side
from production.comparisons.services import comparison_period_spec, comparison_start
from production.comparisons.twin import spec as twin_spec
from production.errors import DomainError
from production.models import ProductionLine
from production.validators import ROW_ID

SPEC_HELP = (twin_spec.__doc__ or "").strip()

EXAMPLE_SPEC = {
    "horizon_days": 120,
    "seed": 7,
    "replications": 5,
    "stations": [
        {
            "name": "press",
            "machines": 1,
            "unit_time": {"dist": "lognormal", "mean_minutes": 6, "cv": 0.5},
        },
        {"name": "pack", "machines": 2, "unit_time": {"dist": "exponential", "mean_minutes": 9}},
    ],
    "products": [
        {
            "sku": "A",
            "container_quantity": 10,
            "lead_time_days": 1,
            "demand": {"kind": "poisson", "rate_per_day": 80},
        }
    ],
    "policies": [
        {"kind": "kanban", "cards": 6},
        {"kind": "conwip", "wip_cap": 6},
        {"kind": "push", "service_level": 0.95, "lot_sizing": "containers"},
    ],
}


MAX_PERIOD = timedelta(days=366)


class ComparisonCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    line = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ProductionLine.objects.all(),
        required=False,
        help_text="A live line: its products and the demand of the period are replayed.",
    )
    days = serializers.IntegerField(
        min_value=1,
        max_value=366,
        default=28,
        help_text="Period of history: the last N days (with `line`).",
    )
    start = serializers.DateTimeField(
        required=False, help_text="Period start (with `line`); overrides `days`."
    )
    end = serializers.DateTimeField(
        required=False, help_text="Period end (with `line`); default now."
    )
    policies = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="Policies and their parameters, as in the spec; default: kanban with the live cards, and push.",
    )
    stations = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="Override the line's process model (spec format).",
    )
    seed = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)
    replications = serializers.IntegerField(min_value=1, max_value=50, default=5)
    warmup_days = serializers.IntegerField(
        min_value=0,
        default=0,
        help_text="Days run but not measured (with `line`); below the period's length.",
    )
    spec = serializers.JSONField(required=False, help_text=SPEC_HELP)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("line")) == bool(attrs.get("spec")):
            raise serializers.ValidationError(
                {"line": "Give either a live `line` or a whole `spec`, not both."}
            )
        self._check_period(attrs)
        if attrs.get("spec") is not None and not isinstance(attrs["spec"], dict):
            raise serializers.ValidationError({"spec": "Must be an object."})
        return attrs

    def _check_period(self, attrs: dict[str, Any]) -> None:
        """A period inside the demand history the API accepts (`demand_time_window`), at
        most `MAX_PERIOD_DAYS` long and in order: year 1 or 9999 never reach the twin."""
        oldest, latest = demand_time_window(timezone.now())
        for name in ("start", "end"):
            moment = attrs.get(name)
            if moment is None:
                continue
            try:
                inside = oldest <= moment <= latest
            except OverflowError:
                inside = False
            if not inside:
                raise serializers.ValidationError(
                    {
                        name: gettext("Must lie between %(oldest)s and %(latest)s.")
                        % {"oldest": oldest.date(), "latest": latest.date()}
                    }
                )
        start, end = attrs.get("start"), attrs.get("end") or timezone.now()
        if start is not None and not timedelta(0) < end - start <= MAX_PERIOD:
            raise serializers.ValidationError(
                {
                    "start": gettext("Must come before the end, at most %(days)d days before.")
                    % {"days": MAX_PERIOD.days}
                }
            )


class ComparisonSerializer(serializers.ModelSerializer):
    line: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    created_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    summary = serializers.SerializerMethodField()
    page = serializers.SerializerMethodField()

    class Meta:
        model = Comparison
        fields = [
            "id",
            "name",
            "line",
            "kind",
            "status",
            "progress",
            "error",
            "summary",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "page",
        ]
        read_only_fields = fields

    def get_summary(self, obj: Comparison) -> str:
        if hasattr(obj, "summary_text"):
            return obj.summary_text or ""
        return ((obj.results or {}).get("verdict") or {}).get("summary", "")

    def get_page(self, obj: Comparison) -> str:
        return reverse("comparisons:detail", args=[obj.pk])


class ComparisonDetailSerializer(ComparisonSerializer):
    spec = serializers.JSONField(read_only=True)
    results = serializers.JSONField(
        read_only=True,
        help_text="Per policy: metrics (means), ci95 (half-widths), daily series, cycle times; "
        "context (load, variability, forecast error) and verdict (summary, best per metric, reasons).",
    )

    class Meta(ComparisonSerializer.Meta):
        fields = [*ComparisonSerializer.Meta.fields, "spec", "results"]
        read_only_fields = fields


class ComparisonFilter(df.FilterSet):
    line = df.CharFilter(field_name="line__code")
    status = df.ChoiceFilter(choices=ComparisonStatus.choices)
    kind = df.ChoiceFilter(choices=ComparisonKind.choices)

    class Meta:
        model = Comparison
        fields = ["line", "status", "kind"]


@extend_schema_view(
    list=extend_schema(summary="Comparisons, newest first"),
    retrieve=extend_schema(summary="A comparison with its spec and results"),
)
class ComparisonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    roles = {"read": PLANNERS, "create": PLANNERS, "side_by_side": PLANNERS}
    filterset_class = ComparisonFilter
    ordering_fields = ["created_at", "id"]

    def get_queryset(self) -> QuerySet[Comparison]:
        qs = Comparison.objects.select_related("line", "created_by")
        if self.action == "list":
            # Lists read the verdict's one line from the database, not the whole results.
            qs = qs.defer("spec", "results").annotate(summary_text=KT("results__verdict__summary"))
        return qs

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "retrieve":
            return ComparisonDetailSerializer
        if self.action == "create":
            return ComparisonCreateSerializer
        return ComparisonSerializer

    @extend_schema(
        request=ComparisonCreateSerializer,
        responses={202: ComparisonSerializer},
        examples=[
            OpenApiExample(
                "A live line, last 8 weeks",
                value={"line": "assembly", "days": 56},
                request_only=True,
            ),
            OpenApiExample(
                "A line that does not exist yet",
                value={"name": "New cell", "spec": EXAMPLE_SPEC},
                request_only=True,
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        data = ComparisonCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        line = v.get("line")
        if line is not None:
            spec = comparison_period_spec(
                line=line,
                days=v["days"],
                start=v.get("start"),
                end=v.get("end"),
                policies=v.get("policies"),
                stations=v.get("stations"),
                seed=v["seed"],
                replications=v["replications"],
            )
            if v["warmup_days"]:
                spec["warmup_days"] = v["warmup_days"]
            name = v.get("name") or f"{line.code}: last {v['days']} days"
        else:
            spec = v["spec"]
            name = v.get("name") or "Described line"
        comparison = comparison_start(name=name, spec=spec, actor_id=self.actor_id(), line=line)
        comparison.refresh_from_db()
        body = ComparisonSerializer(comparison, context=self.get_serializer_context()).data
        response = Response(body, status=status.HTTP_202_ACCEPTED)
        response["Location"] = reverse("comparison-detail", args=[comparison.pk])
        return response

    @extend_schema(
        parameters=[
            OpenApiParameter("ids", OpenApiTypes.STR, description="Comma-separated comparison ids")
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="Headline metrics of several comparisons, policy by policy",
    )
    @action(detail=False, methods=["get"], url_path="side-by-side")
    def side_by_side(self, request: Request) -> Response:
        parts = [i.strip() for i in request.query_params.get("ids", "").split(",") if i.strip()]
        if not all(ROW_ID.match(i) for i in parts):
            raise DomainError(gettext("ids must be comma-separated numbers."), field="ids")
        ids = [int(i) for i in parts]
        if not ids or len(ids) > 20:
            raise DomainError("Give between 1 and 20 ids.", field="ids")
        return Response({"rows": comparisons_side_by_side(ids=ids)})


router = SimpleRouter()
router.register("comparisons", ComparisonViewSet, basename="comparison")

urlpatterns = router.urls
