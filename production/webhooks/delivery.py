"""Sending deliveries: sign, POST, log the attempt, and retry with backoff and jitter.

A delivery is claimed by moving its `next_attempt_at` a lease into the future in
one UPDATE, so two workers (a queued task and the sweep) never send it at once;
a worker that dies mid-send leaves the lease to run out and the sweep sends it
again. Retries back off exponentially with jitter, for a bounded number of
attempts (see `RetryPolicy`), then the delivery is marked failed; it can still be
redelivered by hand. Each attempt checks the destination again first (`destinations`):
a refused one is a failed attempt, and nothing is sent; redirects are never followed.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from production.errors import DomainError
from production.webhooks.deadline import AttemptDeadline, attempt_deadline
from production.webhooks.destinations import (
    BlockedDestination,
    check_destination,
    checked_session,
)
from production.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
)

log = logging.getLogger(__name__)

USER_AGENT = "Pullboard-Webhooks/1"
RESPONSE_KEPT = 2000
# Longer than one attempt can take (connect + read timeouts), so a lease outlives its send.
LEASE = timedelta(seconds=60)
TIMEOUT = (3.05, 10)
# Of the receiver's answer, at most this much is read, and only for this long after the
# attempt began: a receiver that trickles its body, or sends megabytes, cannot hold a worker.
RESPONSE_READ_BYTES = 8192
ATTEMPT_SECONDS = 20.0
CUT_OFF = (
    "The receiver took longer than %(seconds)g s to answer; cut off "
    "(answer promptly, then do the work)."
)


@dataclass(frozen=True)
class RetryPolicy:
    """Delay before retry n (1-based): base * 2^(n-1), capped, times a jitter in [0.5, 1].

    With the defaults, 12 attempts spread over about 3 to 6 hours.
    """

    base_seconds: float = 5.0
    cap_seconds: float = 3600.0
    max_attempts: int = 12

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        raw = min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1))
        return raw * (rng or random).uniform(0.5, 1.0)


def retry_policy() -> RetryPolicy:
    conf = getattr(settings, "PULLBOARD", {}).get("WEBHOOKS", {})
    return RetryPolicy(**conf)


def signed_headers(delivery: WebhookDelivery, secret: str, at: datetime) -> dict[str, str]:
    """Standard Webhooks headers: id, timestamp, and v1 HMAC-SHA256 over id.timestamp.body."""
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(delivery.message_id, at, delivery.body),
    }


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)


def webhook_deliveries_send(*, delivery_ids: Sequence[int]) -> int:
    """Try each due delivery once; returns how many were delivered."""
    delivered = 0
    for delivery_id in delivery_ids:
        delivery = _claim(delivery_id, timezone.now())
        if delivery is not None:
            delivered += _attempt(delivery)
    return delivered


def _attempt(delivery: WebhookDelivery) -> bool:
    at = timezone.now()
    started = time.monotonic()
    status_code: int | None = None
    response_body = error = ""
    # One deadline for the whole attempt (connect, headers, body): at it, the connection
    # is shut, whatever the receiver is in the middle of sending.
    with attempt_deadline(ATTEMPT_SECONDS) as deadline:
        try:
            # Checked again at every attempt: the host may resolve elsewhere than when
            # subscribed. A redirect is never followed: it could lead to an address the
            # check refuses. The session checks the address it connects to (DNS rebinding).
            check_destination(delivery.subscription.url)
            response = checked_session().post(
                delivery.subscription.url,
                data=delivery.body.encode(),
                headers=signed_headers(delivery, delivery.subscription.secret, at),
                timeout=TIMEOUT,
                allow_redirects=False,
                stream=True,
            )
            with response:
                status_code = response.status_code
                body, cut = _read_some(response, started, deadline)
            response_body = body.decode(response.encoding or "utf-8", "replace")
            response_body = response_body[:RESPONSE_KEPT]
            if cut or deadline.expired:
                status_code = None
                error = CUT_OFF % {"seconds": ATTEMPT_SECONDS}
            elif response.is_redirect:
                error = "Redirects are not followed; subscribe the URL it points to."
        except DomainError as exc:
            error = f"Not sent: {exc.message}"
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            blocked = _blocked_cause(exc)
            if blocked is not None:
                error = f"Not sent: {blocked}"
            elif deadline.expired:
                error = CUT_OFF % {"seconds": ATTEMPT_SECONDS}
            else:
                error = f"{type(exc).__name__}: {exc}"[:RESPONSE_KEPT]
    ok = status_code is not None and 200 <= status_code < 300
    _record(delivery, ok, status_code, response_body, error, time.monotonic() - started)
    return ok


def _read_some(
    response: requests.Response, started: float, deadline: AttemptDeadline
) -> tuple[bytes, bool]:
    """Up to `RESPONSE_READ_BYTES` of the body, while the attempt is younger than
    `ATTEMPT_SECONDS`; returns the bytes and whether the deadline cut the reading."""
    body = b""
    while len(body) < RESPONSE_READ_BYTES:
        if time.monotonic() - started > ATTEMPT_SECONDS:
            return body, True
        try:
            chunk = response.raw.read1(RESPONSE_READ_BYTES - len(body))
        except (urllib3.exceptions.HTTPError, OSError):
            if deadline.expired:  # the deadline shut the connection mid-read
                return body, True
            raise
        if not chunk:
            break
        body += chunk
    return body, deadline.expired


def _blocked_cause(exc: BaseException) -> BlockedDestination | None:
    """The refused destination behind a connection error, if that was its cause."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, BlockedDestination):
            return seen
        reason = getattr(seen, "reason", None)
        seen = reason if isinstance(reason, BaseException) else (seen.__cause__ or seen.__context__)
    return None


@transaction.atomic
def _record(
    delivery: WebhookDelivery,
    ok: bool,
    status_code: int | None,
    response_body: str,
    error: str,
    seconds: float,
) -> None:
    now = timezone.now()
    WebhookAttempt.objects.create(
        delivery=delivery,
        status_code=status_code,
        response_body=response_body,
        error=error,
        duration_ms=int(seconds * 1000),
    )
    delivery.attempt_count += 1
    delivery.last_status_code = status_code
    delivery.last_error = error or ("" if ok else f"HTTP {status_code}")
    policy = retry_policy()
    if ok:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif delivery.attempt_count >= policy.max_attempts:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        log.warning(
            "webhook %s gave up after %s attempts", delivery.message_id, policy.max_attempts
        )
    else:
        wait = policy.delay(delivery.attempt_count)
        delivery.next_attempt_at = now + timedelta(seconds=wait)
        transaction.on_commit(lambda: _queue_retry(delivery.pk, wait), robust=True)
    delivery.save(
        update_fields=[
            "attempt_count",
            "last_status_code",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )


def _queue_retry(delivery_id: int, wait: float) -> None:
    """A timed retry; in the embedded profile (tasks run in process) the sweep does it."""
    from production.webhooks.tasks import webhook_deliver_task

    if webhook_deliver_task.app.conf.task_always_eager:
        return
    webhook_deliver_task.apply_async(([delivery_id],), countdown=wait)


def webhook_deliveries_queue_due(*, page: int = 1000) -> int:
    """The sweep: queue every pending delivery that is due (lost messages, expired leases),
    a page at a time, oldest first. A delivery queued twice is sent once (`_claim`)."""
    from production.webhooks.dispatch import queue_deliveries

    now = timezone.now()
    due = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    queued = 0
    after = Q()
    while rows := list(
        due.filter(after)
        .order_by("next_attempt_at", "pk")
        .values_list("next_attempt_at", "pk")[:page]
    ):
        queue_deliveries([pk for _, pk in rows])
        queued += len(rows)
        last_at, last_pk = rows[-1]
        after = Q(next_attempt_at__gt=last_at) | Q(next_attempt_at=last_at, pk__gt=last_pk)
    return queued


@transaction.atomic
def webhook_delivery_redeliver(*, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again, whatever became of it, with a fresh retry budget."""
    from production.webhooks.dispatch import queue_deliveries

    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    delivery.status = DeliveryStatus.PENDING
    delivery.attempt_count = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempt_count", "next_attempt_at"])
    transaction.on_commit(lambda: queue_deliveries([delivery_id]), robust=True)
    return delivery
