"""`webhook_emit`: how the domain announces an event to subscribed URLs.

Called inside the service's transaction: one bulk insert stores a delivery per
event and subscription, and sending is queued only once that commits, so a
rolled-back change announces nothing and a committed one is never lost (a
delivery that was not queued is picked up by the periodic sweep). With no
subscription for the type it costs one small query.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from production.webhooks.models import WebhookDelivery, WebhookSubscription, new_message_id

log = logging.getLogger(__name__)

Payloads = Sequence[dict[str, Any]] | Callable[[], Sequence[dict[str, Any]]]
QUEUE_CHUNK = 25


# Active subscriptions, remembered per process for a moment: emitting is on the hot path
# of demand intake. A change made in this process is seen at once (`forget_subscriptions`),
# one made in another process within SUBSCRIPTIONS_TTL seconds.
SUBSCRIPTIONS_TTL = 2.0
_active: tuple[float, list[tuple[int, frozenset[str]]]] | None = None


def forget_subscriptions() -> None:
    global _active
    _active = None


def subscriptions_for(event_type: str) -> list[int]:
    """Ids of the active subscriptions to `event_type`."""
    global _active
    now = time.monotonic()
    if _active is None or now - _active[0] > SUBSCRIPTIONS_TTL:
        rows = WebhookSubscription.objects.filter(is_active=True).values_list("pk", "event_types")
        _active = (now, [(pk, frozenset(types)) for pk, types in rows])
    return [pk for pk, types in _active[1] if event_type in types]


def webhook_emit(event_type: str, payloads: Payloads) -> list[int]:
    """Store deliveries of `event_type` for each payload; returns the delivery ids.

    `payloads` may be a callable, so that building them costs nothing when nobody
    subscribes.
    """
    subscriptions = subscriptions_for(event_type)
    if not subscriptions:
        return []
    items = payloads() if callable(payloads) else payloads
    if not items:
        return []
    now = timezone.now()
    timestamp = now.isoformat().replace("+00:00", "Z")
    rows: list[WebhookDelivery] = []
    for payload in items:
        body = json.dumps(
            {"type": event_type, "timestamp": timestamp, "data": payload},
            cls=DjangoJSONEncoder,
            separators=(",", ":"),
        )
        rows.extend(
            WebhookDelivery(
                subscription_id=subscription_id,
                message_id=new_message_id(),
                event_type=event_type,
                body=body,
                next_attempt_at=now,
            )
            for subscription_id in subscriptions
        )
    created = WebhookDelivery.objects.bulk_create(rows)
    ids = [row.pk for row in created]
    transaction.on_commit(partial(queue_deliveries, ids), robust=True)
    return ids


def queue_deliveries(ids: Sequence[int]) -> None:
    """Hand deliveries to the workers; if the broker is down the sweep sends them later."""
    from production.webhooks.tasks import webhook_deliver_task

    try:
        for start in range(0, len(ids), QUEUE_CHUNK):
            webhook_deliver_task.delay(list(ids[start : start + QUEUE_CHUNK]))
    except Exception as exc:
        # Expected while the broker is away: one line, no traceback.
        log.warning("could not queue webhook deliveries (%s); the sweep will send them", exc)
