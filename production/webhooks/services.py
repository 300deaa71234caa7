"""Writes of webhook subscriptions (the API and the admin both use these)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from production.audit.records import audited
from production.errors import DomainError
from production.webhooks.destinations import check_destination
from production.webhooks.dispatch import forget_subscriptions
from production.webhooks.models import (
    WebhookEventType,
    WebhookSubscription,
    new_webhook_secret,
)


def _check_event_types(event_types: Sequence[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(WebhookEventType.values))
    if unknown:
        raise DomainError(f"Unknown event types: {', '.join(unknown)}.", field="event_types")
    if not event_types:
        raise DomainError("Name at least one event type.", field="event_types")
    return sorted(set(event_types))


@audited
@transaction.atomic
def webhook_subscription_create(
    *,
    url: str,
    event_types: Sequence[str],
    description: str = "",
    is_active: bool = True,
    actor_id: int | None = None,
    owner_id: int | None = None,
) -> WebhookSubscription:
    """A new subscription, owned by `owner_id` (the actor unless said otherwise: an admin
    may subscribe on behalf of an API client). Its secret is on the returned object; it is
    the only time the API shows it."""
    check_destination(url)
    subscription = WebhookSubscription.objects.create(
        url=url,
        event_types=_check_event_types(event_types),
        description=description,
        is_active=is_active,
        created_by_id=actor_id,
        owner_id=owner_id if owner_id is not None else actor_id,
    )
    transaction.on_commit(forget_subscriptions)
    forget_subscriptions()
    return subscription


@audited
@transaction.atomic
def webhook_subscription_update(
    *, subscription: WebhookSubscription, actor_id: int | None = None, **values: Any
) -> WebhookSubscription:
    if "url" in values:
        check_destination(values["url"])
    if "event_types" in values:
        values["event_types"] = _check_event_types(values["event_types"])
    fields = [k for k in ("url", "event_types", "description", "is_active", "owner") if k in values]
    for name in fields:
        setattr(subscription, name, values[name])
    if fields:
        subscription.save(update_fields=fields)
    transaction.on_commit(forget_subscriptions)
    forget_subscriptions()
    return subscription


@audited
@transaction.atomic
def webhook_subscription_delete(
    *, subscription: WebhookSubscription, actor_id: int | None = None
) -> None:
    """Remove a subscription with its delivery log; deliveries not yet sent are dropped."""
    subscription.delete()
    transaction.on_commit(forget_subscriptions)
    forget_subscriptions()


@transaction.atomic
def webhook_subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    """Give the subscription a new signing secret and return it (shown this once).

    Every delivery signed from now on, retries of earlier ones included, uses the new secret.
    """
    subscription.secret = new_webhook_secret()
    subscription.save(update_fields=["secret"])
    transaction.on_commit(forget_subscriptions)
    forget_subscriptions()
    return subscription.secret
