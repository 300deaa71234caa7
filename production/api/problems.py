"""One error format for the whole API: RFC 9457 problem details.

Every error, whether DRF's (validation, auth, throttling), a domain rule
(`production.errors.DomainError`) or a lookup that found nothing, becomes

    {"type": ..., "title": ..., "status": 400, "detail": ..., "code": ...,
     "errors": [{"field": "items[3].product", "message": ..., "code": ...}]}

served as `application/problem+json`. `errors` names the fields at fault.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback

from production.api.parsers import max_body_bytes
from production.errors import DomainError, VersionConflict

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://pullboard.invalid/problems/"

TITLES = {
    400: "Invalid request",
    401: "Not authenticated",
    403: "Not allowed for your role",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict with the current state",
    412: "Stale version",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Idempotency key reused with a different request",
    429: "Too many requests",
    503: "Service unavailable",
}

# PostgreSQL or Redis out of reach (restarting, network, a full connection pool: Django
# raises the pool's timeout as an OperationalError): the request may simply be retried.
SERVICE_OUTAGES: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
)
RETRY_AFTER_SECONDS = 5


def pool_timed_out(exception: BaseException) -> bool:
    """True when the error is psycopg's pool timing out (Django wraps it in an
    OperationalError): the database is up, every connection of this process is busy."""
    from psycopg_pool import PoolTimeout

    seen: BaseException | None = exception
    while seen is not None:
        if isinstance(seen, PoolTimeout):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def database_busy_document() -> dict[str, Any]:
    """The 503 problem document of a request that waited out the connection pool."""
    return problem_document(
        503, _("The server is busy. Try again in a few seconds."), code="database_busy"
    )


def outage_text(exc: BaseException) -> str:
    """One line for the log: while a service is down this happens on every request."""
    return f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"


def service_unavailable_document() -> dict[str, Any]:
    """The 503 problem document, for the API and for middleware outside DRF."""
    return problem_document(
        503,
        _("A service Pullboard needs is unreachable for the moment; try again in a few seconds."),
        code="service_unavailable",
    )


def problem(
    status_code: int,
    detail: str,
    *,
    code: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = problem_document(status_code, detail, code=code, errors=errors, **extra)
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_document(
    status_code: int,
    detail: str,
    *,
    code: str,
    errors: list[dict[str, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": PROBLEM_TYPE_BASE + code.replace("_", "-"),
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        "code": code,
        "errors": errors or [],
        **extra,
    }


def flatten_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested error detail as a flat list naming each field by its path."""
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            name = f"[{key}]" if isinstance(key, int) else str(key)
            if name == "non_field_errors":
                name = ""
            joiner = "" if name.startswith("[") else "."
            path = f"{prefix}{joiner}{name}" if prefix and name else (prefix or name)
            out += flatten_errors(value, path)
        return out
    if isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            return [
                {
                    "field": prefix,
                    "message": str(item),
                    "code": getattr(item, "code", None) or "invalid",
                }
                for item in detail
            ]
        out = []
        for index, item in enumerate(detail):
            if item:
                out += flatten_errors(item, f"{prefix}[{index}]")
        return out
    return [
        {
            "field": prefix,
            "message": str(detail),
            "code": getattr(detail, "code", None) or "invalid",
        }
    ]


def oversized_input_problem(exc: Exception) -> Response | None:
    """A body past Django's upload bounds, read by the view: 413, not Django's HTML 400."""
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent):
        set_rollback()
        return problem(
            413,
            _("The request body is too large: at most %(limit)d bytes are accepted.")
            % {"limit": max_body_bytes()},
            code="body_too_large",
        )
    return None


def fields_where(data: Any, test: Callable[[Any], bool], prefix: str = "") -> list[str]:
    """The paths of the values in a request body (or its query) that pass `test`."""
    if isinstance(data, dict):
        return [
            path
            for key, value in data.items()
            for path in fields_where(value, test, f"{prefix}.{key}" if prefix else str(key))
        ]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in fields_where(v, test, f"{prefix}[{i}]")]
    return [prefix] if test(data) else []


NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or (
        isinstance(value, str) and bool(NUMBER.match(value.strip()))
    )


def _has_nul(value: Any) -> bool:
    return isinstance(value, str) and "\x00" in value


def value_error_problem(exc: Exception, request: Any) -> Response:
    """400 for a value the database cannot hold (the database does not say which column):
    text with a NUL character names the fields that have one; else the numbers sent are
    named, as out of range."""
    nul = "NUL" in str(exc)
    test = _has_nul if nul else _is_number
    try:
        sent = [request.data, request.query_params.dict()] if request is not None else []
        fields = sorted({f for part in sent for f in fields_where(part, test)})
    except Exception:  # an unreadable body names nothing
        fields = []
    if nul:
        code, message = "invalid", _("Text cannot contain the NUL character.")
    else:
        code = "out_of_range"
        message = _(
            "Out of range: this value, or what it adds up to, is more than Pullboard holds."
        )
    errors = [{"field": f, "message": message, "code": code} for f in fields or [""]]
    detail = (
        _("Some fields are invalid: %(fields)s.") % {"fields": ", ".join(fields)}
        if fields
        else message
    )
    return problem(400, detail, code=code, errors=errors)


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error as a problem document, never a bare 500 for input."""
    if isinstance(exc, SERVICE_OUTAGES):
        busy = pool_timed_out(exc)
        log.warning("API answered 503: %s", "pool timeout" if busy else outage_text(exc))
        set_rollback()
        return Response(
            database_busy_document() if busy else service_unavailable_document(),
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            content_type=PROBLEM_CONTENT_TYPE,
        )
    oversized = oversized_input_problem(exc)
    if oversized is not None:
        return oversized
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        )
    elif isinstance(exc, DataError):
        # A value the database could not hold (too long, out of range): the input's fault.
        # The serializers bound what they can; this names the numbers the request sent.
        set_rollback()
        log.warning("API answered 400 for a database value error: %s", outage_text(exc))
        return value_error_problem(exc, context.get("request"))

    if isinstance(exc, DomainError):
        set_rollback()
        errors = [{"field": exc.field or "", "message": exc.message, "code": exc.code}]
        status_code = 404 if exc.code == "not_found" else exc.status_code
        extra: dict[str, Any] = {}
        if isinstance(exc, VersionConflict):
            extra["current_version"] = exc.current_version
        return problem(status_code, exc.message, code=exc.code, errors=errors, **extra)

    if isinstance(exc, exceptions.APIException):
        headers: dict[str, str] = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
        if getattr(exc, "wait", None):
            headers["Retry-After"] = f"{int(exc.wait):d}"  # type: ignore[attr-defined]
        set_rollback()
        if isinstance(exc, exceptions.ValidationError):
            errors = flatten_errors(exc.detail)
            fields = sorted({e["field"] for e in errors if e["field"]})
            detail = (
                "Some fields are invalid: " + ", ".join(fields) + "."
                if fields
                else (errors[0]["message"] if errors else "Invalid input.")
            )
            return problem(400, detail, code="invalid", errors=errors, headers=headers)
        detail_text = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        code = exc.get_codes()
        return problem(
            exc.status_code,
            str(detail_text),
            code=code if isinstance(code, str) else "error",
            headers=headers,
            **getattr(exc, "problem_extra", {}),
        )
    return None


class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Path of the field at fault, e.g. `items[2].product`.")
    message = serializers.CharField()
    code = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, as every error of the API is served."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Stable machine-readable code.")
    errors = ProblemFieldErrorSerializer(many=True)  # type: ignore[assignment]
    current_version = serializers.IntegerField(
        required=False, help_text="On 412: the version the resource has now."
    )
    limit = serializers.IntegerField(
        required=False, help_text="On 429: the token's budget per window (requests; events)."
    )
    window_seconds = serializers.IntegerField(
        required=False, help_text="On 429: the length of the throttle's sliding window."
    )
    cost = serializers.IntegerField(
        required=False, help_text="On 429: what the refused request would have used."
    )


ERROR_STATUSES = {
    "read": (status.HTTP_400_BAD_REQUEST, 401, 403, 404, 406, 429, 503),
    "write": (400, 401, 403, 404, 406, 409, 412, 413, 415, 422, 429, 503),
}


class ApiNotFound(APIView):
    """Any /api/v1/ path that names no resource: 401 to anonymous callers, like every
    endpoint, else a 404 problem document rather than an HTML page."""

    schema = None  # not an endpoint of the schema

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound(f"No API resource at {request.path}.")


api_not_found = ApiNotFound.as_view()
