"""`Idempotency-Key`, as Stripe's API has it.

The first request with a key runs and its response is stored with the key, in the
same transaction as its effects; a repeat gets that response replayed and changes
nothing. The same key with a different request is refused (422), and a repeat that
arrives while the first still runs is refused (409) rather than run twice: the key's
row is inserted and committed before the work starts, so a unique index decides.
Only successful (2xx) results are kept; after an error the key is free again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from production.api.problems import PROBLEM_CONTENT_TYPE, problem
from production.webhooks.models import IdempotencyKey

HEADER = "Idempotency-Key"
# A first request that died without finishing frees its key after this long.
STALE_AFTER = timedelta(minutes=5)
# How long a key (and its stored response) is kept, as Stripe does.
KEPT_FOR = timedelta(hours=24)

View = Callable[..., Response]


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    text = f"{request.method} {request.path}\n{body}"
    return hashlib.sha256(text.encode()).hexdigest()


def _claim(request: Request, key: str, fingerprint: str) -> IdempotencyKey | Response:
    """Insert the key (committed at once), or say why the request may not run now."""
    user_id = int(request.user.pk or 0)  # idempotent views need an authenticated user
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                user_id=user_id,
                key=key,
                method=request.method or "",
                path=request.path[:500],
                fingerprint=fingerprint,
            )
    except IntegrityError:
        pass
    stored = IdempotencyKey.objects.filter(user_id=user_id, key=key).first()
    if stored is None:  # freed in between: the client may simply retry
        return problem(
            409, "The request with this key just failed; retry.", code="idempotency_key_in_use"
        )
    if stored.fingerprint != fingerprint:
        return problem(
            422,
            "This Idempotency-Key was used with a different request.",
            code="idempotency_key_reused",
            errors=[{"field": HEADER, "message": "Use a new key.", "code": "reused"}],
        )
    if stored.status_code is None:
        taken_over = IdempotencyKey.objects.filter(
            pk=stored.pk, status_code__isnull=True, created_at__lt=timezone.now() - STALE_AFTER
        ).update(created_at=timezone.now())
        if taken_over:
            return stored
        return problem(
            409,
            "A request with this Idempotency-Key is still running.",
            code="idempotency_key_in_use",
            headers={"Retry-After": "1"},
        )
    replay = Response(stored.response_body, status=stored.status_code)
    replay["Idempotent-Replayed"] = "true"
    return replay


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
        claimed = _claim(request, key, _fingerprint(request))
        if isinstance(claimed, Response):
            return claimed
        try:
            with transaction.atomic():
                response = view(self, request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    claimed.status_code = response.status_code
                    claimed.response_body = response.data
                    claimed.completed_at = timezone.now()
                    claimed.save(update_fields=["status_code", "response_body", "completed_at"])
                    return response
        except BaseException:
            IdempotencyKey.objects.filter(pk=claimed.pk).delete()
            raise
        IdempotencyKey.objects.filter(pk=claimed.pk).delete()
        return response

    return wrapped


def idempotency_keys_prune(*, older_than: timedelta = KEPT_FOR) -> int:
    """Forget keys older than `older_than`; returns how many. A later repeat runs anew."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


__all__ = ["HEADER", "PROBLEM_CONTENT_TYPE", "idempotency_keys_prune", "idempotent"]
