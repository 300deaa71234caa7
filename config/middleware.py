"""Site-wide middleware of our own (kept small: libraries do the rest)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from csp.decorators import csp_update
from csp.middleware import CSPMiddleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _

from production.api.problems import (
    PROBLEM_CONTENT_TYPE,
    RETRY_AFTER_SECONDS,
    SERVICE_OUTAGES,
    database_busy_document,
    outage_text,
    pool_timed_out,
    service_unavailable_document,
)

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


class DatabaseBusyMiddleware(MiddlewareMixin):
    """A request that waited the pool's whole timeout for a database connection is told
    503 with Retry-After (problem details under /api/), not a 500 that looks like a bug."""

    RETRY_AFTER_SECONDS = 5

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not pool_timed_out(exception):
            return None
        log.warning("no database connection free for %s (pool timeout)", request.path_info)
        detail = _("The server is busy. Try again in a few seconds.")
        response: HttpResponse
        if request.path_info.startswith("/api/"):
            response = JsonResponse(
                database_busy_document(), status=503, content_type=PROBLEM_CONTENT_TYPE
            )
        else:
            response = HttpResponse(detail, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response


class ServiceUnavailableMiddleware:
    """While PostgreSQL or Redis cannot be reached, say so: 503 with `Retry-After`.

    API paths get the problem document (DRF's own views get it from the API's exception
    handler; this covers what fails outside them), pages a "try again" page rendered
    without the database (no user, no context processors). One log line, no traceback.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, SERVICE_OUTAGES):
            return None
        log.warning("answered 503 for %s: %s", request.path, outage_text(exception))
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if request.path_info.startswith("/api/"):
            return HttpResponse(
                json.dumps(service_unavailable_document()),
                status=503,
                content_type=PROBLEM_CONTENT_TYPE,
                headers=headers,
            )
        page = render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS})
        return HttpResponse(page, status=503, headers=headers)


def docs_policy(view: Any) -> Any:
    """The API docs pages' policy: the site's, plus what Swagger UI and ReDoc need to draw
    (ReDoc's styled-components write <style> elements, which a policy without
    'unsafe-inline' for styles blocks and ReDoc then shows only an error; its search
    worker starts from a blob). Scripts still come from the site only."""
    return csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})(view)
