"""Site-wide middleware of our own (kept small: libraries do the rest)."""

from __future__ import annotations

import logging
from typing import Any

from csp.middleware import CSPMiddleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _

from production.api.problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE

log = logging.getLogger(__name__)

# OWASP's REST Security Cheat Sheet: a JSON answer is never a page, so it gets the
# strictest policy (nothing loads, nothing frames it).
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
JSON_TYPES = ("application/json", "application/problem+json")


class PullboardCSPMiddleware(CSPMiddleware):
    """django-csp's policy on pages; API JSON answers get a fixed strict policy.

    django-csp renders its policy from settings on every response; the ERP's
    event-by-event intake is the hottest path of the site and needs none of it.
    """

    def process_response(self, request: Any, response: Any) -> Any:
        if request.path_info.startswith("/api/") and response.get("Content-Type", "").startswith(
            JSON_TYPES
        ):
            if "Content-Security-Policy" not in response:
                response["Content-Security-Policy"] = API_POLICY
            return response
        return super().process_response(request, response)


def _waited_for_the_pool(exception: BaseException) -> bool:
    """True when the error is psycopg's pool timing out (Django wraps it)."""
    from psycopg_pool import PoolTimeout

    seen: BaseException | None = exception
    while seen is not None:
        if isinstance(seen, PoolTimeout):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class DatabaseBusyMiddleware(MiddlewareMixin):
    """A request that waited the pool's whole timeout for a database connection is told
    503 with Retry-After (problem details under /api/), not a 500 that looks like a bug."""

    RETRY_AFTER_SECONDS = 5

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _waited_for_the_pool(exception):
            return None
        log.warning("no database connection free for %s (pool timeout)", request.path_info)
        detail = _("The server is busy. Try again in a few seconds.")
        response: HttpResponse
        if request.path_info.startswith("/api/"):
            body = {
                "type": f"{PROBLEM_TYPE_BASE}database-busy",
                "title": _("Service unavailable"),
                "status": 503,
                "detail": detail,
                "code": "database_busy",
                "errors": [],
            }
            response = JsonResponse(body, status=503, content_type=PROBLEM_CONTENT_TYPE)
        else:
            response = HttpResponse(detail, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response
