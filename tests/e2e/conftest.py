"""End-to-end fixtures: Debian's Chromium driven by Playwright, the app under uvicorn.

The live path needs an ASGI server (server-sent events), so the app runs in a uvicorn
subprocess against the test database; tests commit their data (`transaction=True`).
Live hints travel through Redis when REDIS_URL is set, so a change made in this test
process reaches the uvicorn process as it would across web processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core.management import call_command

from tests.browser import ARTIFACTS
from tests.support import free_port, subprocess_database_url

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pullboard-test-pw"  # tests.factories.UserFactory


def _database_url() -> str:
    if not settings.USES_POSTGRES:
        pytest.skip("end-to-end tests run against PostgreSQL (DATABASE_URL)")
    return subprocess_database_url()


@pytest.fixture(scope="module")
def asgi_server(django_db_setup, django_db_blocker) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app under uvicorn on a free port, reading the test database."""
    with django_db_blocker.unblock():
        call_command("collectstatic", interactive=False, verbosity=0)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            "2",  # open event streams would otherwise hold the shutdown
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, url)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_up(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{url}/login/", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.2)


@pytest.fixture
def login(browser):  # type: ignore[no-untyped-def]
    """A new browser context (its own cookies: another person) logged in through the form."""
    contexts = []

    def open_as(base_url: str, username: str, **context_args):  # type: ignore[no-untyped-def]
        context = browser.new_context(
            base_url=base_url, viewport={"width": 1280, "height": 800}, **context_args
        )
        contexts.append(context)
        page = context.new_page()
        page.goto("/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")  # not the language picker's
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    yield open_as
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(autouse=True)
def _fast_password_hashing() -> None:
    """Overrides tests/conftest.py's cheap hasher here: the uvicorn process checks the
    passwords with the project's own hashers, so users must be hashed with those."""


# The supplier -> warehouse -> line-side chain (test_supply_e2e.py).
from tests.supply_chain import chain  # noqa: E402, F401
