"""Logging in and out, roles on pages, throttled failed logins, CSP, CSRF, deploy checks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import Resolver404, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pullboard-test-pw"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def log_in(client: Client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_page_is_in_the_apps_own_look(client: Client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Log in to Pullboard" in page
    assert "css/pullboard.css" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert "Django administration" not in page


def test_anonymous_visitors_are_sent_to_the_login_page(client: Client) -> None:
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=/")


def test_admin_is_closed_to_anonymous_visitors(client: Client) -> None:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("role", ["operator", "planner", "integration"])
def test_each_role_logs_in_and_sees_the_lines(client: Client, role: str) -> None:
    UserFactory(username=f"{role}-user", roles=[role])
    response = log_in(client, f"{role}-user")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    page = client.get(reverse("home"))
    assert page.status_code == 200
    assert "Production lines" in page.content.decode()
    assert role in page.content.decode()  # the top bar says who is logged in, and as what


def test_a_user_without_a_role_is_refused_the_pages(client: Client) -> None:
    UserFactory(username="nobody")
    log_in(client, "nobody")
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "not for your role" in response.content.decode()


def test_admins_see_the_admin_link(client: Client, admin_user) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    assert reverse("admin:index") in client.get(reverse("home")).content.decode()


def test_operators_do_not_get_the_admin(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    assert reverse("admin:index") not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("admin:index")).status_code == 302  # to the admin's login


def test_logout_ends_the_session(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    log_in(client, "olga")
    assert client.get(reverse("home")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_logout_is_a_post_with_a_csrf_token(operator) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 403  # no token
    assert client.get(reverse("home")).status_code == 200  # still logged in
    # The page's own logout form carries the token.
    page = client.get(reverse("home")).content.decode()
    assert 'action="/logout/"' in page and "csrfmiddlewaretoken" in page


def test_login_form_requires_the_csrf_token(operator) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "olga", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_htmx_requests_carry_the_csrf_token(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    page = client.get(reverse("home")).content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in page


def test_wrong_password_shows_an_error(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    response = log_in(client, "olga", "wrong")
    assert response.status_code == 200
    assert "did not match" in response.content.decode()


def test_repeated_failed_logins_lock_the_account(client: Client, operator, settings) -> None:  # type: ignore[no-untyped-def]
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "olga", "wrong").status_code == 200
    locked = log_in(client, "olga", "wrong")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    # Even the right password is refused while the lock-out lasts.
    again = log_in(client, "olga")
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked.
    UserFactory(username="pete", roles=["planner"])
    assert log_in(client, "pete").status_code == 302


def test_a_success_resets_the_failure_count(client: Client, operator, settings) -> None:  # type: ignore[no-untyped-def]
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "olga", "wrong")
    assert log_in(client, "olga").status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "olga", "wrong").status_code == 200
    assert log_in(client, "olga").status_code == 302


@pytest.mark.parametrize("url", ["login", "home"])
def test_pages_send_a_strict_content_security_policy(client: Client, operator, url: str) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = client.get(reverse(url), follow=True)
    policy = response["Content-Security-Policy"]
    directives = dict(
        [*part.strip().split(" ", 1), ""][:2] for part in policy.split(";") if part.strip()
    )
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_api_answers_send_the_strictest_policy(client: Client, planner) -> None:  # type: ignore[no-untyped-def]
    """JSON is never a page: nothing may load or frame it (OWASP REST Security)."""
    client.force_login(planner)
    for url in ("/api/v1/lines/", "/api/v1/lines/nope/"):
        response = client.get(url)
        assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    page = client.get("/api/v1/lines/", HTTP_ACCEPT="text/html")  # the browsable API is a page
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_pages_have_no_inline_script_or_style(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    for url in (reverse("login"), reverse("home")):
        page = client.get(url).content.decode()
        assert "<script>" not in page and "<style" not in page and "style=" not in page


# --- `check --deploy` ------------------------------------------------------------------

PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "k7$Qz!x2Lr9@Vb4Wn8&Tp1Hs6^Jd3Fg5Ym0Ce7Ua2Io9Kl4Zq8Xw1Rt6Bn3Mv5Pa",
    "DJANGO_DEBUG": "false",
    "DJANGO_ALLOWED_HOSTS": "pullboard.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://pullboard.example.com",
    "DJANGO_SECURE_SSL_REDIRECT": "true",
    "DJANGO_SECURE_COOKIES": "true",
    "DJANGO_SECURE_HSTS_SECONDS": "31536000",
}


def run_deploy_check(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(extra)
    # The services profile: the same database and Redis as the suite (never contacted here).
    env.setdefault("DATABASE_URL", "postgres://pullboard@db:5432/pullboard")
    env.setdefault("REDIS_URL", "redis://redis:6379/0")
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = run_deploy_check(PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_the_embedded_defaults() -> None:
    # Without a secret key and HTTPS settings from the environment, a deploy is refused.
    result = run_deploy_check({})
    assert result.returncode != 0
    for warning in ("security.W009", "security.W008", "security.W012", "security.W004"):
        assert warning in result.stdout + result.stderr


# --- Every page and endpoint needs a login ------------------------------------------------

CONVERTER_SAMPLES = {"int": "1", "slug": "x", "str": "x", "path": "x"}
# Everything but logging in and out needs a login, the API schema and its docs included.
# The login page offers the language picker; the scripts' catalog holds no data.
PUBLIC = {"/login/", "/logout/", "/i18n/setlang/", "/jsi18n/"}
# Operations (tests/ops/): the orchestrator's probes answer anyone with up or down only, and
# the metrics answer only their bearer token (404 while none is set, 401 without it).
PUBLIC |= {"/health/live", "/health/ready", "/metrics"}


def _sample(pattern: Any) -> str | None:
    """A concrete path piece for a URL pattern, or None for format-suffix variants."""
    if isinstance(pattern, RoutePattern):
        return re.sub(
            r"<(?:(\w+):)?\w+>",
            lambda m: CONVERTER_SAMPLES.get(m.group(1) or "str", "1"),
            str(pattern),
        )
    regex = pattern.regex.pattern
    if "format" in regex:
        return None
    piece = regex.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\.", ".")
    piece = re.sub(r"\(\?P<\w+>[^)]*\)", "1", piece).replace("/?", "/")
    return None if re.search(r"[()\[\]|*+?\\]", piece) else piece


def _paths(patterns: list[Any], prefix: str = "/") -> list[str]:
    found = []
    for entry in patterns:
        piece = _sample(entry.pattern)
        if piece is None:
            continue
        if isinstance(entry, URLResolver):
            found += _paths(entry.url_patterns, prefix + piece)
            continue
        try:
            resolve(prefix + piece)
        except Resolver404:
            continue
        found.append(prefix + piece)
    return found


APP_PATHS = sorted(
    {p for p in _paths(get_resolver().url_patterns) if not p.startswith("/admin/")} - PUBLIC
)


def test_the_url_walk_finds_the_apps_pages() -> None:
    assert "/" in APP_PATHS
    assert any(p.startswith("/api/v1/") for p in APP_PATHS)
    assert len(APP_PATHS) > 10


@pytest.mark.parametrize("path", APP_PATHS)
def test_nothing_is_served_to_anonymous_visitors(client: Client, path: str) -> None:
    for method in (client.get, client.post):
        response = method(path)
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login")), path
        else:
            assert response.status_code in (401, 403, 405), (path, response.status_code)


@pytest.mark.parametrize("path", APP_PATHS)
def test_nothing_is_served_to_a_user_without_a_role(client: Client, path: str) -> None:
    client.force_login(UserFactory(username="no-role"))
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code in (403, 404, 405), (path, response.status_code)
