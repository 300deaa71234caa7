"""Liveness, readiness and the detailed health view (production/ops/health.py).

The outages here are closed ports (the shared PostgreSQL and Redis are never stopped);
tests/ops/test_readiness_outages.py stops and restarts private ones.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from production.ops import health
from tests.support import free_port


@pytest.fixture(autouse=True)
def _migrations_not_remembered() -> Iterator[None]:
    health._migrations_current.clear()
    yield
    health._migrations_current.clear()


@pytest.fixture
def database_unreachable(transactional_db: None) -> Iterator[None]:
    """New connections go to a port where nothing listens (the checks run in threads)."""
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update({"HOST": "127.0.0.1", "PORT": str(free_port())})
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


def test_live_answers_anyone_without_asking_anything_else(db) -> None:  # type: ignore[no-untyped-def]
    response = Client().get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "up"}


def test_ready_says_up_and_nothing_more(db) -> None:  # type: ignore[no-untyped-def]
    response = Client().get("/health/ready")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "up"}
    assert response["Cache-Control"].startswith("max-age=0")
    assert "X-Request-ID" in response


def test_ready_is_down_while_the_database_cannot_be_reached(database_unreachable) -> None:  # type: ignore[no-untyped-def]
    response = Client().get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "down"}  # no error, host or port revealed


def test_ready_is_down_while_redis_cannot_be_reached(db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = Client().get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "down"}


def test_ready_is_down_while_the_broker_cannot_be_reached(db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    assert Client().get("/health/ready").status_code == 503


def test_a_migration_not_applied_is_not_ready(db) -> None:  # type: ignore[no-untyped-def]
    check = health.Migrations()
    check.run()  # all applied: no error
    health._migrations_current.clear()
    latest = MigrationRecorder.Migration.objects.filter(app="production").order_by("-id").first()
    assert latest is not None
    latest.delete()  # as if the code were newer than the database (rolled back after)
    with pytest.raises(health.ServiceUnavailable, match="1 migration"):
        check.run()


def test_the_details_are_for_admins_only(db, operator, admin_user) -> None:  # type: ignore[no-untyped-def]
    assert Client().get("/health/").status_code == 401
    client = Client()
    client.force_login(operator)
    assert client.get("/health/").status_code == 403
    client.force_login(admin_user)
    response = client.get("/health/?format=json")
    checks = response.json()
    assert {"Database(alias='default')", "Migrations(alias='default')"} <= set(checks)
    assert checks["Redis(cache and live hints)"] == "OK"
    # No worker runs in this test: the details say so (readiness does not ask for one).
    ping = next(name for name in checks if name.startswith("Ping("))
    assert checks[ping].startswith("Unavailable: ")  # no answer, or none in time
    assert response.status_code == 500


def test_the_details_name_the_check_that_failed(db, admin_user, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    client = Client()
    client.force_login(admin_user)
    response = client.get("/health/?format=json")
    assert response.status_code == 500
    failed = {
        name: error
        for name, error in response.json().items()
        if error != "OK" and not name.startswith("Ping(")  # no worker runs here
    }
    assert list(failed) == ["Redis(cache and live hints)"], failed


def test_a_failed_check_is_one_warning_line_without_a_traceback(db, settings, caplog) -> None:  # type: ignore[no-untyped-def]
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    with caplog.at_level("WARNING"):
        Client().get("/health/ready")
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in records] == ["health_check"]  # not Django's ERROR for the 503
    assert records[0].levelname == "WARNING" and records[0].exc_info is None
    assert "Connection" in records[0].getMessage()


# --- Beat -------------------------------------------------------------------------------


def test_beat_is_healthy_while_it_ticks_and_not_once_it_stops(db, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from celery import current_app

    from production.ops.beat import HeartbeatScheduler

    settings.PULLBOARD_BEAT_HEARTBEAT_FILE = str(tmp_path / "heartbeat")
    settings.PULLBOARD_BEAT_HEARTBEAT_MAX_AGE_SECONDS = 60
    with pytest.raises(SystemExit) as never_ticked:
        call_command("health_beat")
    assert never_ticked.value.code == 1

    scheduler = HeartbeatScheduler(app=current_app, schedule_filename=str(tmp_path / "schedule"))
    scheduler.tick()
    call_command("health_beat")  # no exit: healthy

    stale = time.time() - 120
    import os

    os.utime(settings.PULLBOARD_BEAT_HEARTBEAT_FILE, (stale, stale))
    with pytest.raises(SystemExit) as stopped:
        call_command("health_beat")
    assert stopped.value.code == 1
    scheduler.close()


def test_probes_and_scrapes_over_plain_http_are_not_redirected_to_https(db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURE_SSL_REDIRECT = True  # as in docker-compose.yml
    client = Client()
    assert client.get("/health/live").status_code == 200
    assert client.get("/health/ready").status_code == 200
    assert client.get("/metrics").status_code == 404  # off without a token, but answered
    assert client.get("/login/").status_code == 301  # everything else still goes to https
