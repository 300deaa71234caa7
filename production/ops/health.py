"""Liveness, readiness and the detailed health view, on django-health-check's checks.

- `/health/live`: the process answers (no database, no Redis).
- `/health/ready`: PostgreSQL (or SQLite) answers, every migration is applied, and each
  Redis Pullboard uses (cache and live hints, broker) answers a ping. Anyone may ask; the
  answer says only up (200) or down (503).
- `/health/`: every check by name with its error, plus a ping of the Celery workers; for
  admins only.

Workers and beat have no HTTP server: `manage.py health_worker` and `manage.py
health_beat` run the same readiness checks in the process's own environment, plus a ping
of the worker itself or the age of beat's heartbeat (docker-compose.yml health checks).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import socket
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from health_check.base import HealthCheck, HealthCheckResult
from health_check.checks import Database
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from redis.asyncio import Redis as AsyncRedis


def _timeout() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.HEALTH_CHECK_TIMEOUT_SECONDS)


_migrations_current: set[str] = set()  # aliases seen current: code does not change under us


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration on disk is applied to the database."""

    alias: str = DEFAULT_DB_ALIAS

    def run(self) -> None:
        if self.alias in _migrations_current:
            return
        from django.db.migrations.executor import MigrationExecutor

        connection = connections[self.alias]
        try:
            with connection.temporary_connection():
                executor = MigrationExecutor(connection)
                plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception as exc:  # the database check says why; this says "not known"
            raise ServiceUnavailable("migrations could not be read") from exc
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migration(s) not applied")
        _migrations_current.add(self.alias)


@dataclasses.dataclass
class RedisAt(Redis):
    """A ping of one Redis URL (the cache and live hints, or the broker)."""

    url: str = dataclasses.field(default="", repr=False)
    role: str = "redis"

    def __post_init__(self) -> None:
        seconds = settings.HEALTH_CHECK_TIMEOUT_SECONDS
        url = self.url
        self.client_factory = lambda: AsyncRedis.from_url(
            url, socket_connect_timeout=seconds, socket_timeout=seconds
        )
        super().__post_init__()

    def __repr__(self) -> str:
        return f"Redis({self.role})"


def _redis_urls() -> dict[str, str]:
    urls: dict[str, str] = {}
    if settings.REDIS_URL:
        urls["cache and live hints"] = settings.REDIS_URL
    broker = settings.CELERY_BROKER_URL
    if broker.startswith(("redis://", "rediss://")) and broker != settings.REDIS_URL:
        urls["broker"] = broker
    return urls


def readiness_checks() -> list[HealthCheck]:
    timeout = _timeout()
    checks: list[HealthCheck] = [Database(), Migrations()]
    checks += [RedisAt(url=url, role=role) for role, url in _redis_urls().items()]
    for check in checks:
        check.timeout = timeout
    return checks


def detailed_checks() -> list[HealthCheck]:
    checks = readiness_checks()
    if not settings.EMBEDDED_TASKS:
        checks.append(Ping(app=current_app, timeout=datetime.timedelta(seconds=2)))
    return checks


async def run_checks(checks: Iterable[HealthCheck]) -> list[HealthCheckResult]:
    return list(await asyncio.gather(*(check.get_result() for check in checks)))


class _ChecksView(HealthCheckView):
    def get_checks(self) -> Any:
        yield from self.checks_now()

    def checks_now(self) -> list[HealthCheck]:
        return readiness_checks()


class ReadyView(_ChecksView):
    """Up or down, nothing more: anyone on the network may ask."""

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        results = await run_checks(self.checks_now())
        up = not any(result.error for result in results)
        response = JsonResponse({"status": "up" if up else "down"}, status=200 if up else 503)
        return _logged_by_the_checks(response)


class DetailView(_ChecksView):
    """Every check with its error and timing (HTML, or ?format=json), for admins."""

    async def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        user = await request.auser()
        if not user.is_authenticated:
            return HttpResponse(_("Log in as an admin to see the health details."), status=401)
        if not user.is_superuser:
            return HttpResponse(_("The health details are for admins."), status=403)
        return _logged_by_the_checks(await super().dispatch(request, *args, **kwargs))

    def checks_now(self) -> list[HealthCheck]:
        return detailed_checks()


def _logged_by_the_checks(response: HttpResponseBase) -> HttpResponseBase:
    """A check that fails logs one WARNING line (health_check); Django's ERROR line for the
    5xx answer would say it again, louder, on every probe of an expected outage."""
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def live(request: HttpRequest) -> HttpResponse:
    """The process answers: nothing else is asked."""
    return JsonResponse({"status": "up"})


# --- Workers and beat ----------------------------------------------------------------------


def worker_name() -> str:
    return f"celery@{socket.gethostname()}"


@dataclasses.dataclass
class WorkerAnswers(HealthCheck):
    """This worker (by its node name) answers a ping through the broker."""

    name: str = ""

    def run(self) -> None:
        try:
            replies = current_app.control.ping(
                destination=[self.name], timeout=self.timeout.total_seconds()
            )
        except OSError as exc:
            raise ServiceUnavailable("the broker cannot be reached") from exc
        if not any(self.name in reply for reply in replies or []):
            raise ServiceUnavailable(f"{self.name} did not answer")


@dataclasses.dataclass
class BeatTicks(HealthCheck):
    """Beat stamped its heartbeat file recently (production.ops.beat.HeartbeatScheduler)."""

    path: str = ""
    max_age_seconds: float = 120.0

    def run(self) -> None:
        try:
            age = time.time() - Path(self.path).stat().st_mtime
        except FileNotFoundError as exc:
            raise ServiceUnavailable("beat has not ticked yet") from exc
        if age > self.max_age_seconds:
            raise ServiceUnavailable(f"beat's last tick was {age:.0f} s ago")


def worker_checks(name: str) -> list[HealthCheck]:
    answers = WorkerAnswers(name=name)
    answers.timeout = _timeout()
    return [*readiness_checks(), answers]


def beat_checks() -> list[HealthCheck]:
    return [
        *readiness_checks(),
        BeatTicks(
            path=settings.PULLBOARD_BEAT_HEARTBEAT_FILE,
            max_age_seconds=settings.PULLBOARD_BEAT_HEARTBEAT_MAX_AGE_SECONDS,
        ),
    ]


def report(results: list[HealthCheckResult]) -> tuple[bool, list[str]]:
    lines = [f"{result.check!r}: {result.error or 'OK'}" for result in results]
    return not any(result.error for result in results), lines
