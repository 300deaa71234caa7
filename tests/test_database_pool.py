"""The web tier's bounded connection pool: on in web processes, sized by settings, off in
workers; a request that cannot get a connection in time is told 503, not 500."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError
from django.urls import reverse
from psycopg_pool import PoolTimeout

ROOT = Path(__file__).resolve().parent.parent
SHOW = (
    "import json; from django.conf import settings; db = settings.DATABASES['default']; "
    "print(json.dumps({'pool': db.get('OPTIONS', {}).get('pool'), 'age': db['CONN_MAX_AGE']}))"
)


def database_settings(entry: str, **env: str) -> dict[str, object]:
    """DATABASES as a process started from `entry` sees them (nothing connects)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    result = subprocess.run(
        [sys.executable, "-c", f"{entry}; {SHOW}"],
        cwd=ROOT,
        env=clean
        | {
            "DATABASE_URL": "postgres://pb@127.0.0.1:5432/pb",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        | env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_web_processes_share_a_bounded_pool_sized_by_settings() -> None:
    asgi = database_settings("import config.asgi")
    assert asgi == {"pool": {"min_size": 2, "max_size": 8, "timeout": 10.0}, "age": 0}
    wsgi = database_settings(
        "import config.wsgi", DATABASE_POOL_MAX_SIZE="3", DATABASE_POOL_TIMEOUT="2.5"
    )
    assert wsgi["pool"] == {"min_size": 2, "max_size": 3, "timeout": 2.5}


def test_workers_and_commands_keep_plain_connections() -> None:
    worker = database_settings("import django; django.setup()")
    assert worker == {"pool": None, "age": 60}


def _pool_timeout() -> OperationalError:
    try:
        try:
            raise PoolTimeout("couldn't get a connection after 10.00 sec")
        except PoolTimeout as exc:
            raise OperationalError(str(exc)) from exc  # as Django wraps driver errors
    except OperationalError as wrapped:
        return wrapped


@pytest.mark.django_db
def test_a_page_that_waited_out_the_pool_answers_503_with_retry_after(  # type: ignore[no-untyped-def]
    client, operator, monkeypatch
):
    def busy() -> None:
        raise _pool_timeout()

    monkeypatch.setattr("kanban.views.board_selectors.board_lines", busy)
    client.force_login(operator)
    response = client.get(reverse("kanban:boards"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "busy" in response.content.decode()


@pytest.mark.django_db
def test_an_api_call_that_waited_out_the_pool_gets_problem_details(  # type: ignore[no-untyped-def]
    client, operator, monkeypatch
):
    def busy(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise _pool_timeout()

    monkeypatch.setattr("rest_framework.views.APIView.initial", busy)
    client.force_login(operator)
    response = client.get("/api/v1/lines/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "database_busy"


@pytest.mark.django_db
def test_other_database_errors_are_not_disguised_as_busy(client, operator, monkeypatch):  # type: ignore[no-untyped-def]
    """A lost connection is an outage (issue 13: the "try again" page), not a busy pool."""

    def broken() -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("kanban.views.board_selectors.board_lines", broken)
    client.force_login(operator)
    client.raise_request_exception = False
    response = client.get(reverse("kanban:boards"))
    assert response.status_code == 503
    assert "busy" not in response.content.decode()
