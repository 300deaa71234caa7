"""Webhook subscriptions and their delivery log, managed through the API."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from production.api.common import INTEGRATORS, ApiViewSet
from production.audit.api import HistoryMixin
from production.webhooks.delivery import webhook_delivery_redeliver
from production.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEventType,
    WebhookSubscription,
)
from production.webhooks.selectors import deliveries_of, subscriptions_of
from production.webhooks.services import (
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    url = serializers.URLField(max_length=500)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEventType.choices),
        min_length=1,
        max_length=len(WebhookEventType.values),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "event_types", "description", "is_active", "created_at"]
        read_only_fields = ["id", "created_at"]


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    """The answer to a subscription's creation: the only one that carries its secret."""

    secret = serializers.CharField(
        read_only=True,
        help_text="Check each delivery's `webhook-signature` with it. Shown only here and "
        "when rotated: keep it.",
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = [*WebhookSubscriptionSerializer.Meta.read_only_fields, "secret"]


class WebhookSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(
        read_only=True, help_text="The new signing secret, shown this once."
    )


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["attempted_at", "status_code", "response_body", "error", "duration_ms"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    attempts = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "message_id",
            "event_type",
            "body",
            "status",
            "attempt_count",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
            "attempts",
        ]
        read_only_fields = fields


ROLES = dict.fromkeys(
    (
        "list",
        "retrieve",
        "create",
        "partial_update",
        "destroy",
        "read",
        "redeliver",
        "rotate_secret",
    ),
    INTEGRATORS,
)


@extend_schema_view(
    list=extend_schema(summary="Webhook subscriptions"),
    create=extend_schema(
        summary="Subscribe a URL to event types (the answer carries the secret, once)",
        responses={201: WebhookSubscriptionCreatedSerializer},
    ),
    partial_update=extend_schema(summary="Change a subscription"),
    destroy=extend_schema(summary="Remove a subscription"),
)
class WebhookSubscriptionViewSet(
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ApiViewSet,
):
    serializer_class = WebhookSubscriptionSerializer
    ordering_fields = ["id", "created_at"]
    filterset_fields = ["is_active"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    roles = ROLES

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        return subscriptions_of(self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = webhook_subscription_create(
            actor_id=self.actor_id(), **serializer.validated_data
        )
        return Response(WebhookSubscriptionCreatedSerializer(subscription).data, status=201)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = webhook_subscription_update(
            subscription=serializer.instance, actor_id=self.actor_id(), **serializer.validated_data
        )

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        webhook_subscription_delete(subscription=instance, actor_id=self.actor_id())

    @extend_schema(
        summary="Give the subscription a new signing secret (returned this once)",
        request=None,
        responses={200: WebhookSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        secret = webhook_subscription_rotate_secret(subscription=self.get_object())
        return Response(WebhookSecretSerializer({"secret": secret}).data)


@extend_schema_view(
    list=extend_schema(summary="Webhook deliveries, with every attempt's status and response"),
)
class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = WebhookDeliverySerializer
    ordering_fields = ["id", "created_at"]
    filterset_fields = ["subscription", "status", "event_type"]
    roles = ROLES

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        return deliveries_of(self.request.user)

    @extend_schema(
        summary="Send a delivery again (same webhook-id, so receivers can de-duplicate)",
        request=None,
        responses={202: WebhookDeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, pk: str | None = None) -> Response:
        delivery = webhook_delivery_redeliver(delivery_id=self.get_object().pk)
        return Response(self.get_serializer(delivery).data, status=202)
