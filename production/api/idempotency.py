"""`Idempotency-Key` on the API's commands: `production.idempotency.run_once` applied to
DRF views (the rule, its locks and what is stored are described there).

A repeat of a stored key gets the stored answer with `Idempotent-Replayed: true`; the
same key with another request is a 422 problem, a repeat while the first still runs a
409 problem with `Retry-After`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from production.api.problems import PROBLEM_CONTENT_TYPE, problem
from production.idempotency import HEADER, idempotency_keys_prune, run_once, valid_key

View = Callable[..., Response]


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    text = f"{request.method} {request.path}\n{body}"
    return hashlib.sha256(text.encode()).hexdigest()


def _in_use() -> Response:
    return problem(
        409,
        "A request with this Idempotency-Key is still running.",
        code="idempotency_key_in_use",
        headers={"Retry-After": "1"},
    )


def idempotent(view: View) -> View:
    """Wrap a viewset method (create or an action) with `Idempotency-Key` handling."""

    @wraps(view)
    def wrapped(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = valid_key(request.headers.get(HEADER))
        if key is None:
            return view(self, request, *args, **kwargs)
        if not key:
            return problem(
                400,
                "Idempotency-Key must be 1 to 255 characters.",
                code="invalid",
                errors=[{"field": HEADER, "message": "1 to 255 characters.", "code": "invalid"}],
            )

        def run() -> tuple[Response, int, Any]:
            response = view(self, request, *args, **kwargs)
            return response, response.status_code, response.data

        outcome = run_once(
            user_id=int(request.user.pk or 0),  # idempotent views need an authenticated user
            key=key,
            method=request.method or "",
            path=request.path,
            fingerprint=_fingerprint(request),
            run=run,
        )
        if outcome.kind == "ran":
            assert outcome.result is not None
            return outcome.result
        if outcome.kind == "reused":
            return problem(
                422,
                "This Idempotency-Key was used with a different request.",
                code="idempotency_key_reused",
                errors=[{"field": HEADER, "message": "Use a new key.", "code": "reused"}],
            )
        if outcome.kind == "in_use":
            return _in_use()
        assert outcome.stored is not None
        replay = Response(outcome.stored.response_body, status=outcome.stored.status_code)
        replay["Idempotent-Replayed"] = "true"
        return replay

    return wrapped


__all__ = ["HEADER", "PROBLEM_CONTENT_TYPE", "idempotency_keys_prune", "idempotent"]
