"""Loops and cards. A move is an action with If-Match: a stale ETag gets 412."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import Count, Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kanban.api.holds import CardHoldActions, LoopHoldActions
from kanban.api.serializers import (
    ApplySizingResultSerializer,
    CardMoveSerializer,
    CardSerializer,
    LoopChangeResultSerializer,
    LoopCreateSerializer,
    LoopSerializer,
    LoopUpdateSerializer,
)
from kanban.models import CardEventSource, CardStatus, KanbanCard, KanbanLoop
from kanban.services import card_move, loop_apply_sizing, loop_archive, loop_create, loop_update
from production.api.common import CARD_MOVERS, PLANNERS, ApiViewSet, expected_version, with_etag
from production.api.filters import ArchivedFilter
from production.api.idempotency import idempotent
from production.api.views import IDEMPOTENCY_KEY, IF_MATCH
from production.audit.api import HistoryMixin


class LoopFilter(df.FilterSet):
    product = df.CharFilter(field_name="product__sku", help_text="Product SKU.")
    line = df.CharFilter(field_name="product__line__code", help_text="Line code.")
    location = df.CharFilter(field_name="location__code", help_text="Location code.")
    archived = ArchivedFilter()

    class Meta:
        model = KanbanLoop
        fields = ["product", "line", "location", "archived"]


class CardFilter(df.FilterSet):
    loop = df.NumberFilter(field_name="loop_id")
    product = df.CharFilter(field_name="loop__product__sku", help_text="Product SKU.")
    line = df.CharFilter(field_name="loop__product__line__code", help_text="Line code.")
    status = df.MultipleChoiceFilter(choices=CardStatus.choices, distinct=False)
    changed_after = df.IsoDateTimeFilter(field_name="status_changed_at", lookup_expr="gte")
    changed_before = df.IsoDateTimeFilter(field_name="status_changed_at", lookup_expr="lt")

    class Meta:
        model = KanbanCard
        fields = ["loop", "product", "line", "status"]


def loops() -> QuerySet[KanbanLoop]:
    return KanbanLoop.objects.select_related(
        "product", "location", "supplier", "source_location"
    ).annotate(card_count=Count("cards", filter=~Q(cards__status=CardStatus.RETIRED)))


@extend_schema_view(
    list=extend_schema(summary="Kanban loops"),
    retrieve=extend_schema(summary="One kanban loop"),
)
class LoopViewSet(
    LoopHoldActions, HistoryMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet
):
    serializer_class = LoopSerializer
    filterset_class = LoopFilter
    ordering_fields = ["id", "created_at"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    roles = {
        **dict.fromkeys(("apply_sizing", "create", "partial_update", "destroy"), PLANNERS),
        "hold": CARD_MOVERS,
        "release": CARD_MOVERS,
        "one_time_card": PLANNERS,
    }

    def get_queryset(self) -> QuerySet[KanbanLoop]:
        return loops()

    def loop_response(self, loop_id: int) -> Response:
        return Response(LoopSerializer(loops().get(pk=loop_id)).data)

    def card_response(self, card_id: int, status: int = 200) -> Response:
        card = KanbanCard.objects.select_related("loop__product").get(pk=card_id)
        return with_etag(Response(CardSerializer(card).data, status=status), card.version)

    @extend_schema(
        summary="Open a loop (planner), its opening stock `full` or `empty`",
        request=LoopCreateSerializer,
        responses={201: LoopSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = LoopCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        loop = loop_create(actor_id=request.user.pk, **body.validated_data)
        return Response(LoopSerializer(loops().get(pk=loop.pk)).data, status=201)

    @extend_schema(
        summary="Change a loop's card count or container quantity (planner)",
        request=LoopUpdateSerializer,
        responses={200: LoopChangeResultSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        loop = self.get_object()
        body = LoopUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change = loop_update(loop_id=loop.pk, actor_id=request.user.pk, **body.validated_data)
        data = LoopSerializer(loops().get(pk=loop.pk)).data
        outcome = {"added": change.added, "retired": change.retired}
        return Response({**outcome, "still_to_retire": change.still_to_retire, "loop": data})

    @extend_schema(
        summary="Archive a loop (planner): its cards retire, it sends no signals",
        request=None,
        responses={200: LoopSerializer},
    )
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        loop = loop_archive(loop_id=self.get_object().pk, actor_id=request.user.pk)
        return Response(LoopSerializer(loops().get(pk=loop.pk)).data)

    @extend_schema(
        summary="Make the loop's card count the recommended one (planner)",
        request=None,
        responses={200: ApplySizingResultSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"], url_path="apply-sizing")
    @idempotent
    def apply_sizing(self, request: Request, pk: str | None = None) -> Response:
        loop = self.get_object()
        outcome = loop_apply_sizing(loop_id=loop.pk, actor_id=request.user.pk)
        body = {**outcome, "loop": LoopSerializer(loops().get(pk=loop.pk)).data}
        return Response(body)


@extend_schema_view(
    list=extend_schema(summary="Kanban cards"),
    retrieve=extend_schema(summary="One card (ETag: its version)"),
)
class CardViewSet(CardHoldActions, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = CardSerializer
    filterset_class = CardFilter
    ordering_fields = ["id", "number", "status_changed_at"]
    roles = {"move": CARD_MOVERS, "hold": CARD_MOVERS, "release": CARD_MOVERS}

    def get_queryset(self) -> QuerySet[KanbanCard]:
        return KanbanCard.objects.select_related("loop__product")

    def retrieve_response(self, card_id: int) -> Response:
        card = self.get_queryset().get(pk=card_id)
        return with_etag(Response(self.get_serializer(card).data), card.version)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        card = self.get_object()
        return with_etag(Response(self.get_serializer(card).data), card.version)

    @extend_schema(
        summary="Move a card (If-Match: the card's ETag)",
        request=CardMoveSerializer,
        responses={200: CardSerializer},
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def move(self, request: Request, pk: str | None = None) -> Response:
        card = self.get_object()
        body = CardMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        card_move(
            card_id=card.pk,
            to=body.validated_data["to"],
            actor_id=request.user.pk,
            source=CardEventSource.API,
            reason=body.validated_data["reason"],
            wip_override_reason=body.validated_data["wip_override_reason"],
            expected_version=expected_version(request),
        )
        card = self.get_queryset().get(pk=card.pk)
        return with_etag(Response(self.get_serializer(card).data), card.version)
