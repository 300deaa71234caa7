"""`Idempotency-Key`, as Stripe's API has it, for the API and the shop-floor pages alike.

The first request with a key runs and its answer is stored with the key, in the same
transaction as its effects; a repeat gets that answer replayed and changes nothing. The
same key with a different request is refused (422), and a repeat that arrives while
the first still runs is refused (409) rather than run twice.

"Still running" is a lock held by the first request's own transaction (on PostgreSQL a
transaction-level advisory lock on the user and key): it ends with that transaction,
so a request whose process or database connection dies frees its key at once, and the
retry runs. Under the lock the stored key is read again, so of a first request and
its retry exactly one has the effect. Only successful (2xx) results are kept; after
an error the key is free again. Without advisory locks (SQLite, the embedded profile)
the database serializes the writes and the key's unique index refuses a second run.

`run_once` is the rule; `production.api.idempotency` applies it to the API's views and
`idempotent_page` (here) to the pages whose POSTs a tablet queues while offline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, Generic, Literal, TypeVar

from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from production.webhooks.models import IdempotencyKey

HEADER = "Idempotency-Key"
# How long a key (and its stored answer) is kept, as Stripe does.
KEPT_FOR = timedelta(hours=24)

T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    """What became of a keyed request: it `ran` (`result`), is a `replay` of `stored`,
    `reused` the key for another request, or found it `in_use` by one still running."""

    kind: Literal["ran", "replay", "reused", "in_use"]
    result: T | None = None
    stored: IdempotencyKey | None = None


def valid_key(raw: str | None) -> str | None:
    """The key to use, "" for one that is not 1 to 255 characters, None when none was sent."""
    if raw is None:
        return None
    key = raw.strip()
    return key if 0 < len(key) <= 255 else ""


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


def _known(stored: IdempotencyKey, fingerprint: str) -> Outcome[Any] | None:
    """The outcome of a repeat of a stored key, or None if the request should run."""
    if stored.fingerprint != fingerprint:
        return Outcome("reused", stored=stored)
    if stored.status_code is None:  # left by a request that never finished: run it now
        return None
    return Outcome("replay", stored=stored)


@transaction.atomic
def _run_locked(
    *,
    user_id: int,
    key: str,
    method: str,
    path: str,
    fingerprint: str,
    run: Callable[[], tuple[T, int, Any]],
) -> Outcome[T]:
    if not _lock_key(user_id, key):
        return Outcome("in_use")
    stored = IdempotencyKey.objects.filter(user_id=user_id, key=key).first()
    if stored is not None and (known := _known(stored, fingerprint)):
        return known
    result, status_code, body = run()
    if not 200 <= status_code < 300:
        return Outcome("ran", result=result)  # an error leaves the key free
    if stored is None:
        stored = IdempotencyKey(
            user_id=user_id, key=key, method=method, path=path[:500], fingerprint=fingerprint
        )
    stored.status_code = status_code
    stored.response_body = body
    stored.completed_at = timezone.now()
    stored.save()
    return Outcome("ran", result=result)


def run_once(
    *,
    user_id: int,
    key: str,
    method: str,
    path: str,
    fingerprint: str,
    run: Callable[[], tuple[T, int, Any]],
) -> Outcome[T]:
    """Run `run` once per (user, key): it returns (result, status code, body to store)."""
    try:
        return _run_locked(
            user_id=user_id, key=key, method=method, path=path, fingerprint=fingerprint, run=run
        )
    except IntegrityError:
        # Without advisory locks two runs can race to store the key: the second is
        # rolled back whole and answered as a repeat of the first.
        stored = IdempotencyKey.objects.filter(user_id=user_id, key=key).first()
        if stored is None or stored.status_code is None:
            raise
        return _known(stored, fingerprint) or Outcome("in_use")


def page_fingerprint(request: HttpRequest) -> str:
    """Method, path and form fields (not the CSRF token, which changes with the session)."""
    fields = sorted(
        (name, values) for name, values in request.POST.lists() if name != "csrfmiddlewaretoken"
    )
    text = f"{request.method} {request.path}\n{fields!r}"
    return hashlib.sha256(text.encode()).hexdigest()


PageView = Callable[..., HttpResponse]


def idempotent_page(
    *,
    stored_body: Callable[[HttpResponse], Any],
    replay: Callable[[HttpRequest, Any], HttpResponse],
) -> Callable[[PageView], PageView]:
    """`Idempotency-Key` on a page's POST (behind its login and role checks).

    `stored_body(response)` is what is kept of a successful answer (JSON);
    `replay(request, body)` answers a repeat from it, with `Idempotent-Replayed: true`.
    """

    def decorator(view: PageView) -> PageView:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            key = valid_key(request.headers.get(HEADER))
            if key is None or request.method != "POST" or not request.user.is_authenticated:
                return view(request, *args, **kwargs)
            if not key:
                return _refusal(400, _("Idempotency-Key must be 1 to 255 characters."))

            def run() -> tuple[HttpResponse, int, Any]:
                response = view(request, *args, **kwargs)
                ok = 200 <= response.status_code < 300
                return response, response.status_code, stored_body(response) if ok else None

            outcome = run_once(
                user_id=int(request.user.pk or 0),
                key=key,
                method="POST",
                path=request.path,
                fingerprint=page_fingerprint(request),
                run=run,
            )
            if outcome.kind == "ran":
                assert outcome.result is not None
                return outcome.result
            if outcome.kind == "reused":
                return _refusal(422, _("This Idempotency-Key was used with a different request."))
            if outcome.kind == "in_use":
                refused = _refusal(409, _("A request with this Idempotency-Key is still running."))
                refused["Retry-After"] = "1"
                return refused
            assert outcome.stored is not None
            answer = replay(request, outcome.stored.response_body)
            answer["Idempotent-Replayed"] = "true"
            return answer

        return wrapped

    return decorator


def _refusal(status: int, message: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def idempotency_keys_prune(*, older_than: timedelta = KEPT_FOR) -> int:
    """Forget keys older than `older_than`; returns how many. A later repeat runs anew."""
    deleted, _count = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
