"""Card counts over the API v1: start, add a scan, close, read the result.

`POST card-counts/` starts a count of a line or a location (planner); `POST
card-counts/{id}/scans/` records a scanned code (operator or planner; a wrong check digit
is a 400 naming `code`); `POST card-counts/{id}/close/` closes it (planner, `If-Match`:
the count's ETag); `GET card-counts/{id}/result/` lists its missing and unexpected cards.
Every command takes an `Idempotency-Key`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kanban.codes import card_code
from kanban.inventory import selectors
from kanban.inventory.models import CardCount, CountedCard
from kanban.inventory.services import card_count_close, card_count_scan, card_count_start
from production.api.common import (
    CARD_MOVERS,
    PLANNERS,
    ApiViewSet,
    expected_version,
    with_etag,
)
from production.api.idempotency import idempotent
from production.api.views import IDEMPOTENCY_KEY, IF_MATCH
from production.models import Location, ProductionLine


class CardCountSerializer(serializers.ModelSerializer):
    line = serializers.CharField(source="line.code", read_only=True, allow_null=True)
    location = serializers.CharField(source="location.code", read_only=True, allow_null=True)
    started_by = serializers.CharField(
        source="started_by.username", read_only=True, allow_null=True
    )
    closed_by = serializers.CharField(source="closed_by.username", read_only=True, allow_null=True)
    seen_count = serializers.IntegerField(read_only=True, help_text="Cards scanned or ticked.")

    class Meta:
        model = CardCount
        fields = [
            "id",
            "line",
            "location",
            "status",
            "version",
            "started_by",
            "started_at",
            "closed_by",
            "closed_at",
            "seen_count",
            "expected_count",
            "found_count",
            "missing_count",
            "unexpected_count",
        ]
        read_only_fields = fields


class CardCountStartSerializer(serializers.Serializer):
    line = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ProductionLine.objects.all(),
        required=False,
        help_text="Count this line's cards (or give location).",
    )
    location = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Location.objects.all(),
        required=False,
        help_text="Count the cards of the loops at this location (or give line).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("line")) == bool(attrs.get("location")):
            raise serializers.ValidationError(
                {"line": ["Give either line or location (one of them)."]}
            )
        return attrs


class CountScanSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=200, help_text="The card code as printed, e.g. PB-CARD:123-4."
    )


class CountedCardSerializer(serializers.ModelSerializer):
    card = serializers.IntegerField(source="card_id", read_only=True)
    code = serializers.SerializerMethodField()
    product = serializers.CharField(source="card.loop.product.sku", read_only=True)
    number = serializers.IntegerField(source="card.number", read_only=True)
    line = serializers.CharField(source="card.loop.product.line.code", read_only=True)
    location = serializers.CharField(source="card.loop.location.code", read_only=True)
    card_status = serializers.CharField(source="card.status", read_only=True)

    class Meta:
        model = CountedCard
        fields = [
            "card",
            "code",
            "product",
            "number",
            "line",
            "location",
            "card_status",
            "outcome",
            "unexpected",
            "via",
            "old_label",
            "seen_at",
            "action",
        ]
        read_only_fields = fields

    def get_code(self, row: CountedCard) -> str:
        return card_code(row.card_id)


class CountScanResultSerializer(serializers.Serializer):
    new = serializers.BooleanField(help_text="False: the card was already counted.")
    in_scope = serializers.BooleanField(
        help_text="The card belongs to this count's line or location."
    )
    message = serializers.CharField()
    counted = CountedCardSerializer()


class CountResultSerializer(serializers.Serializer):
    count = CardCountSerializer()
    missing = CountedCardSerializer(many=True, help_text="Expected, not seen (after the close).")
    unexpected = CountedCardSerializer(
        many=True, help_text="Seen, but retired or of another line or location."
    )
    seen = CountedCardSerializer(many=True, help_text="An open count: the last cards seen.")


@extend_schema_view(
    list=extend_schema(summary="Card counts"),
    retrieve=extend_schema(summary="One card count (ETag: its version)"),
)
class CardCountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = CardCountSerializer
    ordering_fields = ["id", "started_at"]
    roles = {"create": PLANNERS, "close": PLANNERS, "scans": CARD_MOVERS}

    def get_queryset(self) -> QuerySet[CardCount]:
        return selectors.card_counts()

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        count = self.get_object()
        return with_etag(Response(self.get_serializer(count).data), count.version)

    @extend_schema(
        summary="Start a card count of a line or a location (planner)",
        request=CardCountStartSerializer,
        responses={201: CardCountSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def create(self, request: Request) -> Response:
        body = CardCountStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        count = card_count_start(
            line=body.validated_data.get("line"),
            location=body.validated_data.get("location"),
            actor_id=request.user.pk,
        )
        count = self.get_queryset().get(pk=count.pk)
        response = Response(self.get_serializer(count).data, status=status.HTTP_201_CREATED)
        return with_etag(response, count.version)

    @extend_schema(
        summary="Add a scanned card to an open count (a wrong check digit is refused)",
        request=CountScanSerializer,
        responses={201: CountScanResultSerializer, 200: CountScanResultSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def scans(self, request: Request, pk: str | None = None) -> Response:
        count = self.get_object()
        body = CountScanSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        scanned = card_count_scan(
            count_id=count.pk, code=body.validated_data["code"], actor_id=request.user.pk
        )
        result = {
            "new": scanned.new,
            "in_scope": scanned.in_scope,
            "message": scanned.message,
            "counted": scanned.row,
        }
        code = status.HTTP_201_CREATED if scanned.new else status.HTTP_200_OK
        return Response(CountScanResultSerializer(result).data, status=code)

    @extend_schema(
        summary="Close the count: missing and unexpected cards are listed (planner)",
        request=None,
        responses={200: CardCountSerializer},
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def close(self, request: Request, pk: str | None = None) -> Response:
        count = self.get_object()
        card_count_close(
            count_id=count.pk, actor_id=request.user.pk, expected_version=expected_version(request)
        )
        count = self.get_queryset().get(pk=count.pk)
        return with_etag(Response(self.get_serializer(count).data), count.version)

    @extend_schema(
        summary="What the count found: missing and unexpected cards",
        responses=CountResultSerializer,
    )
    @action(detail=True, methods=["get"])
    def result(self, request: Request, pk: str | None = None) -> Response:
        count = self.get_object()
        outcome = selectors.count_result(count)
        body = {
            "count": count,
            "missing": outcome.missing,
            "unexpected": outcome.unexpected,
            "seen": outcome.seen,
        }
        return Response(CountResultSerializer(body).data)
