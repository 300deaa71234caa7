"""`Idempotency-Key`, as Stripe's API has it.

The first request with a key runs and its response is stored with the key, in the
same transaction as its effects; a repeat gets that response replayed and changes
nothing. The same key with a different request is refused (422), and a repeat that
arrives while the first still runs is refused (409) rather than run twice.

"Still running" is a lock held by the first request's own transaction (on PostgreSQL a
transaction-level advisory lock on the user and key): it ends with that transaction,
so a request whose process or database connection dies frees its key at once, and the
retry runs. Under the lock the stored key is read again, so of a first request and
its retry exactly one has the effect. Only successful (2xx) results are kept; after
an error the key is free again. Without advisory locks (SQLite, the embedded profile)
the database serializes the writes and the key's unique index refuses a second run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from production.api.problems import PROBLEM_CONTENT_TYPE, problem
from production.webhooks.models import IdempotencyKey

HEADER = "Idempotency-Key"
# How long a key (and its stored response) is kept, as Stripe does.
KEPT_FOR = timedelta(hours=24)

View = Callable[..., Response]


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    text = f"{request.method} {request.path}\n{body}"
    return hashlib.sha256(text.encode()).hexdigest()


def _lock_key(user_id: int, key: str) -> bool:
    """Hold the key for this transaction; False if another transaction holds it."""
    if connection.vendor != "postgresql":
        return True
    digest = hashlib.sha256(f"idempotency-key {user_id} {key}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
        )
        return bool(cursor.fetchone()[0])


def _answer_stored(stored: IdempotencyKey, fingerprint: str) -> Response | None:
    """The answer to a repeat of a stored key, or None if the request should run."""
    if stored.fingerprint != fingerprint:
        return problem(
            422,
            "This Idempotency-Key was used with a different request.",
            code="idempotency_key_reused",
            errors=[{"field": HEADER, "message": "Use a new key.", "code": "reused"}],
        )
    if stored.status_code is None:  # left by a request that never finished: run it now
        return None
    replay = Response(stored.response_body, status=stored.status_code)
    replay["Idempotent-Replayed"] = "true"
    return replay


def _in_use() -> Response:
    return problem(
        409,
        "A request with this Idempotency-Key is still running.",
        code="idempotency_key_in_use",
        headers={"Retry-After": "1"},
    )


@transaction.atomic
def _run_once(
    view: View,
    viewset: Any,
    request: Request,
    args: Any,
    kwargs: Any,
    user_id: int,
    key: str,
    fingerprint: str,
) -> Response:
    """Run the view under the key's lock, storing a successful response with its effects."""
    if not _lock_key(user_id, key):
        return _in_use()
    stored = IdempotencyKey.objects.filter(user_id=user_id, key=key).first()
    if stored is not None and (answer := _answer_stored(stored, fingerprint)):
        return answer
    response = view(viewset, request, *args, **kwargs)
    if not 200 <= response.status_code < 300:
        return response  # an error leaves the key free
    if stored is None:
        stored = IdempotencyKey(
            user_id=user_id,
            key=key,
            method=request.method or "",
            path=request.path[:500],
            fingerprint=fingerprint,
        )
    stored.status_code = response.status_code
    stored.response_body = response.data
    stored.completed_at = timezone.now()
    stored.save()
    return response


def idempotent(view: View) -> View:
    """Wrap a viewset method (create or an action) with `Idempotency-Key` handling."""

    @wraps(view)
    def wrapped(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return view(self, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > 255:
            return problem(
                400,
                "Idempotency-Key must be 1 to 255 characters.",
                code="invalid",
                errors=[{"field": HEADER, "message": "1 to 255 characters.", "code": "invalid"}],
            )
        user_id = int(request.user.pk or 0)  # idempotent views need an authenticated user
        fingerprint = _fingerprint(request)
        try:
            return _run_once(view, self, request, args, kwargs, user_id, key, fingerprint)
        except IntegrityError:
            # Without advisory locks two runs can race to store the key: the second is
            # rolled back whole and answered as a repeat of the first.
            stored = IdempotencyKey.objects.filter(user_id=user_id, key=key).first()
            if stored is None or stored.status_code is None:
                raise
            return _answer_stored(stored, fingerprint) or _in_use()

    return wrapped


def idempotency_keys_prune(*, older_than: timedelta = KEPT_FOR) -> int:
    """Forget keys older than `older_than`; returns how many. A later repeat runs anew."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


__all__ = ["HEADER", "PROBLEM_CONTENT_TYPE", "idempotency_keys_prune", "idempotent"]
