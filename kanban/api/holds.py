"""Holds and one-time cards over the API: the same services as the card page.

`POST cards/{id}/hold/` and `release/`, `POST loops/{id}/hold/` and `release/` (operators
and planners, as on the card page); `POST loops/{id}/one-time-card/` (planners). A card
on hold, or a card of a loop on hold, raises no pull signal; released, its empty cards
signal at once. Each is one transaction, with `Idempotency-Key` like the other actions.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kanban.api.serializers import CardSerializer, LoopSerializer
from kanban.models import HoldReason
from kanban.services import (
    card_hold,
    card_release,
    loop_hold,
    loop_issue_one_time_card,
    loop_release,
)
from production.api.idempotency import idempotent
from production.api.views import IDEMPOTENCY_KEY


class HoldSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=HoldReason.choices,
        help_text="Why it is held: machine_down, quality_hold, missing_part or other.",
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text="What the hold is for (required with `other`).",
    )


class ReleaseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class OneTimeCardSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="Why the extra card is needed.")


def _body(serializer: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    body = serializer(data=request.data)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


class CardHoldActions:
    """Mixed into the cards' viewset, which gives `get_object` and `retrieve_response`
    (the card with its ETag)."""

    @extend_schema(
        summary="Put a card on hold: it raises no pull signal until released",
        request=HoldSerializer,
        responses={200: CardSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def hold(self, request: Request, pk: str | None = None) -> Response:
        card = self.get_object()  # type: ignore[attr-defined]
        card_hold(card_id=card.pk, actor_id=request.user.pk, **_body(HoldSerializer, request))
        return self.retrieve_response(card.pk)  # type: ignore[attr-defined, no-any-return]

    @extend_schema(
        summary="Release a card from hold (an empty one signals at once)",
        request=ReleaseSerializer,
        responses={200: CardSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def release(self, request: Request, pk: str | None = None) -> Response:
        card = self.get_object()  # type: ignore[attr-defined]
        card_release(card_id=card.pk, actor_id=request.user.pk, **_body(ReleaseSerializer, request))
        return self.retrieve_response(card.pk)  # type: ignore[attr-defined, no-any-return]


class LoopHoldActions:
    """Mixed into the loops' viewset, which gives `get_object`, `loop_response` and
    `card_response`."""

    @extend_schema(
        summary="Put a whole loop on hold: none of its cards raises a pull signal",
        request=HoldSerializer,
        responses={200: LoopSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def hold(self, request: Request, pk: str | None = None) -> Response:
        loop = self.get_object()  # type: ignore[attr-defined]
        loop_hold(loop_id=loop.pk, actor_id=request.user.pk, **_body(HoldSerializer, request))
        return self.loop_response(loop.pk)  # type: ignore[attr-defined, no-any-return]

    @extend_schema(
        summary="Release a loop from hold (its empty cards signal at once)",
        request=ReleaseSerializer,
        responses={200: LoopSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def release(self, request: Request, pk: str | None = None) -> Response:
        loop = self.get_object()  # type: ignore[attr-defined]
        loop_release(loop_id=loop.pk, actor_id=request.user.pk, **_body(ReleaseSerializer, request))
        return self.loop_response(loop.pk)  # type: ignore[attr-defined, no-any-return]

    @extend_schema(
        summary="Issue a one-time card for a demand spike (planner): made once, then retired",
        request=OneTimeCardSerializer,
        responses={201: CardSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"], url_path="one-time-card")
    @idempotent
    def one_time_card(self, request: Request, pk: str | None = None) -> Response:
        loop = self.get_object()  # type: ignore[attr-defined]
        body = _body(OneTimeCardSerializer, request)
        card = loop_issue_one_time_card(
            loop_id=loop.pk, reason=body["reason"], actor_id=request.user.pk
        )
        return self.card_response(card.pk, status=201)  # type: ignore[attr-defined, no-any-return]
