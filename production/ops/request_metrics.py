"""The web tier's request metrics: one histogram, by view, method and status.

Written on prometheus-client directly rather than with django-prometheus's middleware: that
one updates about ten metrics per request and added about 0.3 ms to each (bench/bench_ops.py),
a fifth of what the ERP's single-event POST costs; this adds one `observe`. Under several
web processes the values are summed through prometheus-client's multiprocess mode
(`PROMETHEUS_MULTIPROC_DIR`).
"""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from prometheus_client import Histogram

from production.ops.middleware import SyncAndAsyncMiddleware

REQUEST_SECONDS = Histogram(
    "pullboard_http_request_duration_seconds",
    "Time from a request's arrival to its response (a stream: to its first byte), by view.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _observe(request: HttpRequest, response: HttpResponseBase, started: float) -> None:
    match = getattr(request, "resolver_match", None)
    view = (match.view_name if match is not None else "") or "<unresolved>"
    method = request.method if request.method in METHODS else "<other>"
    REQUEST_SECONDS.labels(view, method, str(response.status_code)).observe(
        time.perf_counter() - started
    )


class RequestMetricsMiddleware(SyncAndAsyncMiddleware):
    """Outermost: it times everything the other middleware and the view do."""

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        started = time.perf_counter()
        response = self.get_response(request)
        _observe(request, response, started)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response: HttpResponseBase = await self.get_response(request)
        _observe(request, response, started)
        return response
