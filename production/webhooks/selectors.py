"""Reads of webhooks: what each user may see of them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from production.webhooks.models import WebhookDelivery, WebhookSubscription


def subscriptions_of(user: Any) -> QuerySet[WebhookSubscription]:
    """The subscriptions a user may see: its own; an admin (superuser) sees every one."""
    subscriptions = WebhookSubscription.objects.all()
    if user.is_superuser:
        return subscriptions
    return subscriptions.filter(owner_id=user.pk)


def deliveries_of(user: Any) -> QuerySet[WebhookDelivery]:
    """The deliveries of `subscriptions_of(user)`, with their attempts."""
    deliveries = WebhookDelivery.objects.prefetch_related("attempts")
    if user.is_superuser:
        return deliveries
    return deliveries.filter(subscription__owner_id=user.pk)
