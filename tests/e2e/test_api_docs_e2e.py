"""Swagger UI and ReDoc render in a real browser under the page's own content security
policy, with nothing fetched from outside the app (fonts included)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def watch(page, base_url: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Requests to any other host are recorded and refused; CSP refusals are recorded."""
    seen: dict[str, list[str]] = {"outside": [], "csp": []}
    own = urlparse(base_url).netloc

    def route(route) -> None:  # type: ignore[no-untyped-def]
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlparse(url).netloc == own:
            route.continue_()
        else:
            seen["outside"].append(url)
            route.abort()

    page.route("**/*", route)
    page.on(
        "console",
        lambda message: (
            seen["csp"].append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen


def test_swagger_ui_renders_offline_under_its_csp(asgi_server, login, planner):  # type: ignore[no-untyped-def]
    page = login(asgi_server, "pete")
    seen = watch(page, asgi_server)
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Pullboard ERP API", timeout=10000
    )
    expect(page.locator(".opblock").first).to_be_visible()
    shot(page, "api-docs-swagger")
    assert seen["outside"] == []
    assert [m for m in seen["csp"] if "script" in m] == []


def test_redoc_renders_offline_under_its_csp(asgi_server, login, planner):  # type: ignore[no-untyped-def]
    page = login(asgi_server, "pete")
    seen = watch(page, asgi_server)
    page.goto("/api/redoc/")
    expect(page.locator("h1").first).to_contain_text("Pullboard ERP API", timeout=10000)
    expect(page.locator("[data-section-id]").first).to_be_attached()
    shot(page, "api-docs-redoc")
    assert seen["outside"] == []
    assert [m for m in seen["csp"] if "script" in m] == []
