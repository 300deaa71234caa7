"""Webhook subscriptions and deliveries, and the stored results of idempotent requests.

Imported by `production.models`, so they belong to the production app.
"""

from __future__ import annotations

import base64
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from production.audit.records import AuditHistory


class WebhookEventType(models.TextChoices):
    DEMAND_RECEIVED = "demand.received", "Demand received"
    CARD_SIGNALLED = "card.signalled", "Card signalled (pull signal)"
    WORK_ORDER_CREATED = "work_order.created", "Work order created"
    WORK_ORDER_COMPLETED = "work_order.completed", "Work order completed"
    WORK_ORDER_REOPENED = "work_order.reopened", "Work order reopened (its completion undone)"
    STOCK_BELOW_MINIMUM = "stock.below_minimum", "Stock below minimum"
    LINE_MODE_CHANGED = "line.mode_changed", "Line mode changed"
    CALL_OFF_CREATED = "call_off.created", "Call-off created"
    CALL_OFF_SHIPPED = "call_off.shipped", "Call-off shipped"
    TRANSFER_ORDER_CREATED = "transfer_order.created", "Transfer order created"
    REPLENISHMENT_RECEIVED = "replenishment.received", "Replenishment received"
    REPLENISHMENT_LATE = "replenishment.late", "Replenishment late"


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class WebhookSubscription(models.Model):
    url = models.URLField(max_length=500)
    secret = models.CharField(
        max_length=100,
        default=new_webhook_secret,
        help_text="Shared with the receiver, who checks the `webhook-signature` header with it.",
    )
    event_types = models.JSONField(
        default=list, help_text="The event types this URL receives (see WebhookEventType)."
    )
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_subscriptions",
        help_text=(
            "The API client this subscription and its deliveries belong to; only it (and "
            "admins) can see or change them. Empty: admins only."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The secret stays out of the history (shown once, never stored twice).
    history = AuditHistory(excluded_fields=["secret"])

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["owner", "id"], name="webhook_subscription_owner_idx")]

    def __str__(self) -> str:
        return f"{self.url} ({', '.join(self.event_types)})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(models.Model):
    """One event for one subscription. The body is stored as sent, so a retry is identical."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    message_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    event_type = models.CharField(max_length=40, choices=WebhookEventType.choices)
    body = models.TextField(help_text="The JSON body, exactly as signed and sent.")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When a pending delivery is due (or its lease ends)."
    )
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due_idx",
                condition=Q(status="pending"),
            ),
            # The metrics count deliveries given up without reading the delivered ones.
            models.Index(
                fields=["created_at"],
                name="webhook_delivery_failed_idx",
                condition=Q(status="failed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.event_type} -> {self.subscription.url} ({self.status})"


class WebhookAttempt(models.Model):
    """The log of every try: what the receiver answered, or why it could not be reached."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["attempted_at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery.message_id}: {self.status_code or self.error[:40]}"


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a client sent: the request it named and the response it got.

    Stored with the first successful response, in the transaction of its effects
    (`production.api.idempotency`); a row with a null `status_code` is one that an
    earlier version left while its request ran, and the next repeat runs.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    status_code = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
