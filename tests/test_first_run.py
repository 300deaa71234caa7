"""A newcomer's `make run`: what it prints, and the pages a first look runs into.

The server test starts the process `make run` starts (`python -m config.serve`) on the
embedded profile (a SQLite file of its own, tasks in process), reads what it prints,
and uses it as a newcomer would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.test import Client
from django.urls import reverse

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[1]


class Served:
    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process, self.url = process, url
        self.lines: list[str] = []
        self.listening_when_announced: bool | None = None

    def output(self) -> str:
        return "".join(self.lines)


def _serve(tmp: Path, port: int) -> Served:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SECRET_KEY")
        and not key.startswith(("PYTEST", "DJANGO_ALLOW"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'first-run.sqlite3'}",
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "config.serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(process, f"http://127.0.0.1:{port}")

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if "Pullboard on http://" in line and served.listening_when_announced is None:
                try:  # the line must come only once the server answers
                    requests.get(f"{served.url}/login/", timeout=5)
                    served.listening_when_announced = True
                except requests.ConnectionError:
                    served.listening_when_announced = False
            served.lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    return served


def _wait_for_announcement(served: Served, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while "Pullboard on http://" not in served.output():
        if served.process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"make run's server did not start:\n{served.output()}")
        time.sleep(0.2)


def _stop(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        served.process.kill()
    time.sleep(0.3)  # the reader thread takes the last lines


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> Iterator[Served]:  # type: ignore[no-untyped-def]
    served = _serve(tmp_path_factory.mktemp("first-run"), free_port())
    try:
        _wait_for_announcement(served)
        yield served
    finally:
        _stop(served)


def _login(url: str, username: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{url}/login/", timeout=10)
    answer = session.post(
        f"{url}/login/",
        data={
            "username": username,
            "password": f"{username}-demo",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        timeout=30,
    )
    assert answer.ok and "/login/" not in answer.url
    return session


def test_make_run_says_where_it_serves_once_it_listens_and_nothing_more(first_run) -> None:  # type: ignore[no-untyped-def]
    operator = _login(first_run.url, "operator")
    assert operator.get(f"{first_run.url}/favicon.ico", timeout=30).ok  # a file WhiteNoise serves
    assert operator.get(f"{first_run.url}/dashboards/", timeout=30).status_code == 403
    assert operator.get(f"{first_run.url}/boards/no-such-line/", timeout=30).status_code == 404
    time.sleep(0.5)
    out = first_run.output()
    assert first_run.listening_when_announced is True
    assert out.count("Pullboard on http://") == 1
    assert "Demo logins" in out
    assert "kombu" not in out and "hostname" not in out.lower()  # no broker here
    assert "AXES: BEGIN" not in out  # no banner per process
    assert "Successful login" not in out  # no line per login
    assert "Traceback" not in out  # an ordinary 403 is not an error
    assert "Warning:" not in out  # nor a static file served under ASGI
    warnings = [line for line in out.splitlines() if re.search(r"\bWARNING\b", line)]
    assert all("Forbidden" in w or "Not Found" in w for w in warnings), warnings


def test_favicon_is_served_at_the_site_root(first_run) -> None:  # type: ignore[no-untyped-def]
    answer = requests.get(f"{first_run.url}/favicon.ico", timeout=30)
    assert answer.status_code == 200
    assert answer.content[:4] == b"\x00\x00\x01\x00"  # an ICO file


@pytest.mark.django_db
def test_an_unknown_board_gets_the_apps_own_404_page(operator) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(operator)
    response = client.get("/boards/no-such-line/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "There is nothing here" in html and 'class="topbar"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("days", ["abc", "0", "-3", "99999", "1.5"])
def test_a_bad_days_gets_a_clear_message(planner, days) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import LineFactory

    LineFactory(code="press")
    client = Client()
    client.force_login(planner)
    lost = client.get(reverse("kanban:lost-cards"), {"days": days})
    assert lost.status_code == 400
    assert "Days: give a whole number of days, from 1 to 3650." in lost.content.decode()
    board = client.get("/dashboards/lines/press/", {"days": days})
    assert board.status_code == 400
    assert "Days: give a whole number of days, from 1 to 366." in board.content.decode()
