"""Readiness follows the services for real: a private PostgreSQL cluster and a private
Redis (the shared ones are never stopped) are stopped and started again, and
/health/ready goes down and comes back up with them."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from production.ops import health
from tests.integration.conftest import RedisServer
from tests.integration.soak import DATABASE, PrivatePostgres, SoakUnavailable
from tests.support import subprocess_database_url

pytestmark = pytest.mark.django_db(transaction=True)


class Cluster:
    """The soak's private PostgreSQL, with a stop and a start that keep its data."""

    def __init__(self) -> None:
        self.pg = PrivatePostgres()

    def stop(self) -> None:
        self.pg._run(str(self.pg.pg_ctl), "-D", str(self.pg.data), "-m", "fast", "-w", "stop")

    def start(self) -> None:
        self.pg._run(
            str(self.pg.pg_ctl),
            "-D",
            str(self.pg.data),
            "-o",
            self.pg._options(),
            "-l",
            str(self.pg.home / "log"),
            "-w",
            "start",
        )


@pytest.fixture
def private_services(tmp_path: Path, settings: Any) -> Iterator[tuple[Cluster, RedisServer]]:
    """The test database copied into a private cluster; the app pointed at it and at a
    private Redis (cache, live hints and broker)."""
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are PostgreSQL's client tools (postgresql-client)")
    try:
        cluster = Cluster()
    except SoakUnavailable as exc:
        pytest.skip(str(exc))
    redis_server = RedisServer(tmp_path)
    try:
        cluster.pg.start()
        dump = tmp_path / "schema.dump"
        subprocess.run(
            ["pg_dump", "-Fc", "--no-owner", "-f", str(dump), subprocess_database_url()],
            check=True,
            timeout=120,
        )
        subprocess.run(
            ["pg_restore", "--no-owner", "-d", cluster.pg.url, str(dump)], check=True, timeout=120
        )
        redis_server.start()
        settings.REDIS_URL = settings.CELERY_BROKER_URL = redis_server.url
        connection = connections["default"]
        saved = dict(connection.settings_dict)
        connection.close()
        connection.settings_dict.update(
            {"HOST": "127.0.0.1", "PORT": str(cluster.pg.port), "NAME": DATABASE}
        )
        health._migrations_current.clear()
        yield cluster, redis_server
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    finally:
        redis_server.kill()
        cluster.pg.destroy()
        health._migrations_current.clear()


def ready() -> int:
    response = Client().get("/health/ready")
    assert set(response.json()) == {"status"}
    return response.status_code


def eventually(status: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while (got := ready()) != status and time.monotonic() < deadline:
        time.sleep(0.2)
    assert got == status


def test_ready_goes_down_with_postgresql_and_redis_and_up_when_they_are_back(
    private_services,
) -> None:  # type: ignore[no-untyped-def]
    cluster, redis_server = private_services
    assert ready() == 200

    cluster.stop()
    assert ready() == 503
    cluster.start()
    eventually(200)

    redis_server.kill()
    assert ready() == 503
    redis_server.start()
    eventually(200)
