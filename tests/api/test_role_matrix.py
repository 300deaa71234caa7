"""The README's "Who may do what" matrix (docs/api.md), one test per cell: each row's
requests are refused (403) exactly for the roles the matrix does not give them to.

An allowed write is sent without a valid body or for an id that does not exist: the
role is checked first, so "allowed" is any answer but 401/403, and nothing is changed.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import token_client
from tests.factories import UserFactory

MISSING = 999_999_999
ROLES = ("operator", "planner", "integration", "admin", "supplier", "none")

ROWS: dict[str, tuple[list[tuple[str, str]], set[str]]] = {
    "read products, lines, loops, cards, work orders, demand, stock, backorders": (
        [
            ("get", "/api/v1/products/"),
            ("get", "/api/v1/lines/"),
            ("get", "/api/v1/loops/"),
            ("get", "/api/v1/cards/"),
            ("get", "/api/v1/work-orders/"),
            ("get", "/api/v1/demand-events/"),
            ("get", "/api/v1/stock/"),
            ("get", "/api/v1/stock/ledger/"),
            ("get", "/api/v1/backorders/"),
        ],
        {"operator", "planner", "integration", "admin"},
    ),
    "POST demand-events/": (
        [("post", "/api/v1/demand-events/")],
        {"planner", "integration", "admin"},
    ),
    "work-order release/ start/ complete/ cancel/": (
        [
            ("post", f"/api/v1/work-orders/{MISSING}/{step}/")
            for step in ("release", "start", "complete", "cancel")
        ],
        {"planner", "integration", "admin"},
    ),
    "card move/, holds": (
        [
            ("post", f"/api/v1/cards/{MISSING}/move/"),
            ("post", f"/api/v1/cards/{MISSING}/hold/"),
            ("post", f"/api/v1/cards/{MISSING}/release/"),
            ("post", f"/api/v1/loops/{MISSING}/hold/"),
            ("post", f"/api/v1/loops/{MISSING}/release/"),
        ],
        {"operator", "planner", "admin"},
    ),
    "products and lines, switch-mode/, apply-sizing/": (
        [
            ("post", "/api/v1/products/"),
            ("patch", "/api/v1/products/NOPE/"),
            ("post", "/api/v1/lines/"),
            ("patch", "/api/v1/lines/nope/"),
            ("post", "/api/v1/lines/nope/switch-mode/"),
            ("post", f"/api/v1/loops/{MISSING}/apply-sizing/"),
            ("post", f"/api/v1/loops/{MISSING}/one-time-card/"),
        ],
        {"planner", "admin"},
    ),
    "read card counts and their results": (
        [("get", "/api/v1/card-counts/"), ("get", f"/api/v1/card-counts/{MISSING}/result/")],
        {"operator", "planner", "integration", "admin"},
    ),
    "card count `scans/`": (
        [("post", f"/api/v1/card-counts/{MISSING}/scans/")],
        {"operator", "planner", "admin"},
    ),
    "card counts: start, `close/`": (
        [("post", "/api/v1/card-counts/"), ("post", f"/api/v1/card-counts/{MISSING}/close/")],
        {"planner", "admin"},
    ),
    "webhook subscriptions and deliveries": (
        [
            ("get", "/api/v1/webhooks/"),
            ("post", "/api/v1/webhooks/"),
            ("get", f"/api/v1/webhooks/{MISSING}/"),
            ("patch", f"/api/v1/webhooks/{MISSING}/"),
            ("delete", f"/api/v1/webhooks/{MISSING}/"),
            ("post", f"/api/v1/webhooks/{MISSING}/rotate-secret/"),
            ("get", "/api/v1/webhook-deliveries/"),
            ("get", f"/api/v1/webhook-deliveries/{MISSING}/"),
            ("post", f"/api/v1/webhook-deliveries/{MISSING}/redeliver/"),
        ],
        {"planner", "integration", "admin"},
    ),
    "GET .../history/ (the audit trail)": (
        [
            ("get", "/api/v1/products/NOPE/history/"),
            ("get", "/api/v1/lines/NOPE/history/"),
            ("get", "/api/v1/locations/NOPE/history/"),
            ("get", f"/api/v1/loops/{MISSING}/history/"),
            ("get", "/api/v1/suppliers/NOPE/history/"),
            ("get", f"/api/v1/webhooks/{MISSING}/history/"),
        ],
        {"planner", "integration", "admin"},
    ),
    "forecasts, push plans, comparisons": (
        [
            ("get", "/api/v1/forecasts/"),
            ("get", "/api/v1/forecasts/NOPE/"),
            ("get", "/api/v1/forecast-runs/"),
            ("get", f"/api/v1/forecast-runs/{MISSING}/"),
            ("get", "/api/v1/forecast-calendar/"),
            ("get", "/api/v1/forecasts/NOPE/calendar/"),
            ("put", "/api/v1/forecasts/NOPE/calendar/"),
            ("get", "/api/v1/forecasts/NOPE/overrides/"),
            ("post", "/api/v1/forecasts/NOPE/overrides/"),
            ("get", "/api/v1/push-plans/"),
            ("get", f"/api/v1/push-plans/{MISSING}/"),
            ("post", "/api/v1/push-plans/run/"),
            ("get", f"/api/v1/push-orders/{MISSING}/explanation/"),
            ("get", "/api/v1/comparisons/"),
            ("get", f"/api/v1/comparisons/{MISSING}/"),
            ("post", "/api/v1/comparisons/"),
            ("get", f"/api/v1/comparisons/side-by-side/?ids={MISSING}"),
        ],
        {"planner", "admin"},
    ),
}


ROWS["a supplier's own open call-offs, confirm/ and ship/"] = (
    [
        ("get", "/api/v1/supplier/call-offs/"),
        ("get", f"/api/v1/supplier/call-offs/{MISSING}/"),
        ("post", f"/api/v1/supplier/call-offs/{MISSING}/confirm/"),
        ("post", f"/api/v1/supplier/call-offs/{MISSING}/ship/"),
    ],
    {"supplier"},
)


def user_with(role: str):  # type: ignore[no-untyped-def]
    if role == "supplier":  # tied to a supplier of its own (production/supply/portal)
        from tests.supplier.conftest import make_supplier, supplier_login

        return supplier_login("sam", make_supplier("acme"))
    if role == "admin":
        return UserFactory(username="ada", is_superuser=True, is_staff=True)
    if role == "none":
        return UserFactory(username="norole")
    return UserFactory(username=role, roles=[role])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", list(ROWS))
def test_the_api_follows_the_role_matrix(row, role, plant):
    requests, allowed = ROWS[row]
    client = token_client(user_with(role))
    for method, path in requests:
        response = getattr(client, method)(path, {}, format="json")
        if role in allowed:
            assert response.status_code not in (401, 403), (method, path, response.content)
            if method == "get" and "/99999" not in path and "NOPE" not in path:
                assert response.status_code == 200, (method, path, response.content)
        else:
            assert response.status_code == 403, (method, path, response.status_code)
