"""Open boards hold no database connection: more streams than the web process's pool
has connections stay open and live, and the database still answers everyone else.

The app runs under uvicorn (a real ASGI server) with a pool of two connections; its
connections carry an application name of their own, so PostgreSQL's pg_stat_activity
counts them. Never more than the pool: the shared server is not pushed anywhere near
its max_connections.
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import Client

from kanban.models import CardStatus
from kanban.services import card_move
from tests.support import free_port, subprocess_database_url

ROOT = Path(__file__).resolve().parents[2]
POOL_SIZE = 2
STREAMS = 6  # three times the pool
C = CardStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pooled_server() -> Iterator[tuple[str, str]]:
    """uvicorn on the test database with a pool of POOL_SIZE; yields (url, app name)."""
    if not settings.USES_POSTGRES:
        pytest.skip("the connection pool is PostgreSQL's (DATABASE_URL)")
    app_name = f"pb-test-streams-{uuid.uuid4().hex[:8]}"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(),
        "DATABASE_POOL": "true",
        "DATABASE_POOL_MIN_SIZE": "1",
        "DATABASE_POOL_MAX_SIZE": str(POOL_SIZE),
        "DATABASE_POOL_TIMEOUT": "3",
        "PGAPPNAME": app_name,
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
            "1",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/login/", timeout=5)
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("uvicorn did not start")
                time.sleep(0.2)
        yield url, app_name
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def held_connections(app_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [app_name]
        )
        return int(cursor.fetchone()[0])


class Stream:
    """One board's event stream, read in a thread of its own."""

    def __init__(self, url: str, cookies: dict[str, str]) -> None:
        self.response = requests.get(url, cookies=cookies, stream=True, timeout=(5, 30))
        self.socket = self.response.raw.connection.sock
        self.events: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self.response.iter_lines(chunk_size=1, decode_unicode=True):
                if line.startswith("event: "):
                    self.events.put(line[7:])
        except Exception:  # the test closed the stream
            pass

    def next_event(self, timeout: float = 10.0) -> str:
        return self.events.get(timeout=timeout)

    def close(self) -> None:
        """Shut the socket first: the reading thread holds the response's buffer while it
        waits for data, so a plain close waits for the next heartbeat (15 s a stream)."""
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)
        self.response.close()


def test_more_open_boards_than_pool_connections_stay_live_and_leave_the_database_free(  # type: ignore[no-untyped-def]
    pooled_server, operator, plant
):
    url, app_name = pooled_server
    client = Client()
    client.force_login(operator)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    streams = []
    try:
        for _ in range(STREAMS):
            stream = Stream(f"{url}/boards/assembly/events/", cookies)
            assert stream.response.status_code == 200, stream.response.status_code
            assert stream.next_event() == "ready"
            streams.append(stream)
        assert 1 <= held_connections(app_name) <= POOL_SIZE
        # Everyone else still gets the database: a page, while every stream stays open.
        page = requests.get(f"{url}/boards/assembly/columns/", cookies=cookies, timeout=10)
        assert page.status_code == 200
        card = plant.finished_loop.cards.get(number=1)
        card_move(card_id=card.pk, to=C.EMPTY, actor_id=None)
        assert [stream.next_event() for stream in streams] == ["lanes"] * STREAMS
        assert held_connections(app_name) <= POOL_SIZE
    finally:
        for stream in streams:
            stream.close()


def test_after_the_database_drops_the_pools_connections_the_next_request_succeeds(  # type: ignore[no-untyped-def]
    pooled_server, operator, plant
):
    """A PostgreSQL restart ends every pooled connection; the pool must not lend a dead
    one (the soak saw the first requests after each restart answer 500)."""
    url, app_name = pooled_server
    client = Client()
    client.force_login(operator)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    page = f"{url}/boards/assembly/columns/"
    assert requests.get(page, cookies=cookies, timeout=10).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s",
            [app_name],
        )
        assert cursor.fetchone()[0] >= 1
    answers = [requests.get(page, cookies=cookies, timeout=10).status_code for _ in range(4)]
    assert answers == [200] * 4
