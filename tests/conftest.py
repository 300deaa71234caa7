"""Shared fixtures. The suite runs on PostgreSQL and Redis (see the Makefile and README)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.conf import settings

from config.celery import app as celery_app
from kanban.models import KanbanLoop
from kanban.services import loop_create
from production.models import Location, Product, ProductionLine
from tests.factories import (
    BomLineFactory,
    LineFactory,
    LocationFactory,
    ProductFactory,
    UserFactory,
)

pytest_plugins = ["tests.browser"]  # the session's one real browser, for the browser tests


def pytest_configure(config: pytest.Config) -> None:
    import os

    if os.environ.get("CI") == "true" and not settings.USES_POSTGRES:
        raise pytest.UsageError(
            "CI=true but DATABASE_URL does not point at PostgreSQL: the suite must run on "
            "PostgreSQL in CI (see README, 'Tests')."
        )


@pytest.fixture(autouse=True)
def _tasks_in_process(request: pytest.FixtureRequest) -> None:
    """Tasks run in process, except in tests marked `integration` (a real worker)."""
    eager = request.node.get_closest_marker("integration") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    request.addfinalizer(lambda: setattr(celery_app.conf, "task_always_eager", previous))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    """PBKDF2 costs most of a second a login on this machine; tests need no such cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _webhook_destinations_for_tests(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The test receivers listen on 127.0.0.1, so loopback destinations are allowed (in the
    environment too, for the Celery workers the integration tests start). And no test needs
    DNS: names under the reserved `.example` domain resolve to TEST-NET-1 (192.0.2.10).
    """
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "true")
    resolve = socket.getaddrinfo

    def resolve_example_names(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(host, str) and host.rstrip(".").endswith(".example"):
            host = "192.0.2.10"
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve_example_names)


@pytest.fixture(autouse=True)
def _plant_language_after_each_test() -> Iterator[None]:
    """A request in German leaves German active in the thread (the locale middleware
    activates the user's language and nothing puts it back); the next test starts from the
    plant's default, whatever ran before it."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def operator(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="olga", roles=["operator"])


@pytest.fixture
def planner(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="pete", roles=["planner"])


@pytest.fixture
def integration_user(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="erp", roles=["integration"])


@pytest.fixture
def admin_user(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="ada", is_superuser=True, is_staff=True)


@dataclass
class Plant:
    """A small two-level plant: a finished good F on `assembly`, its component C on `fab`.

    F: container 5, 3 cards, BOM 2 x C.  C: container 10, 4 cards.
    """

    assembly: ProductionLine
    fab: ProductionLine
    supermarket: Location
    finished: Product
    component: Product
    finished_loop: KanbanLoop
    component_loop: KanbanLoop


@pytest.fixture
def plant(db) -> Plant:  # type: ignore[no-untyped-def]
    supermarket = LocationFactory(code="sm-main")
    assembly = LineFactory(code="assembly", wip_limit=2)
    fab = LineFactory(code="fab", wip_limit=3)
    component = ProductFactory(
        sku="C-100", line=fab, supermarket=supermarket, container_quantity=Decimal("10")
    )
    finished = ProductFactory(
        sku="F-100", line=assembly, supermarket=supermarket, container_quantity=Decimal("5")
    )
    BomLineFactory(parent=finished, component=component, quantity=Decimal("2"))
    component_loop = loop_create(product=component, card_count=4)
    finished_loop = loop_create(product=finished, card_count=3)
    return Plant(assembly, fab, supermarket, finished, component, finished_loop, component_loop)


@pytest.fixture
def steady_subscriptions(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Webhook subscriptions are remembered per process for 2 s; a query-count comparison
    between two runs must not depend on whether the moment passed between them (it does
    on a loaded machine). Changes made through the services still clear it at once."""
    from production.webhooks import dispatch

    dispatch.forget_subscriptions()
    monkeypatch.setattr(dispatch, "SUBSCRIPTIONS_TTL", 3600.0)
    yield
    dispatch.forget_subscriptions()


@pytest.fixture(autouse=True)
def _fresh_webhook_subscriptions() -> None:  # type: ignore[misc]
    """Each test starts without the emitter's remembered subscriptions: a subscription of an
    earlier test (rolled back since) must not get deliveries written for it."""
    from production.webhooks import dispatch

    dispatch.forget_subscriptions()
