"""One real browser per test module (Debian's Chromium through Playwright).

Registered as a plugin by `tests/conftest.py`. Every browser test uses the fixture
`browser`: the sync Playwright API runs an event loop in the test thread while it is
open, and a second Playwright started while one is running fails, so there is one at a
time. It is closed at the end of each module: a loop left running in the main thread
would break every later test that runs async code (`asyncio.run`, `async_to_sync`).
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: apt-get install -y chromium (see README)")
    ARTIFACTS.mkdir(exist_ok=True)
    # Django must still allow ORM calls from test bodies while Playwright's loop runs.
    # Set for the browser tests' session only, never in the app.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before
