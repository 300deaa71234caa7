"""Site-wide middleware of our own (kept small: libraries do the rest)."""

from __future__ import annotations

from typing import Any

from csp.middleware import CSPMiddleware

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
