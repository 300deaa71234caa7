"""One real browser for the whole test session (Debian's Chromium through Playwright).

Registered as a plugin by `tests/conftest.py`. Every browser test uses the session
fixture `browser`: the sync Playwright API runs an
event loop in the test thread, and a second Playwright started while one is running
fails, so there is exactly one.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: apt-get install -y chromium (see README)")
    ARTIFACTS.mkdir(exist_ok=True)
    # Django must still allow ORM calls from test bodies while Playwright's loop runs.
    # Set for the browser tests' session only, never in the app.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
