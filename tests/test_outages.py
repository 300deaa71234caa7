"""While PostgreSQL or Redis cannot be reached, the API answers a 503 problem with
Retry-After and pages a "try again" page, never an HTML 500.

The outage is a closed port: the shared services are never stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from kanban.models import KanbanCard
from tests.api.conftest import token_client
from tests.support import free_port


@pytest.fixture
def database_unreachable(transactional_db: None) -> Iterator[None]:
    """From here on the default database is a port where nothing listens."""
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update({"HOST": "127.0.0.1", "PORT": str(free_port())})
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


def assert_service_unavailable_problem(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["status"] == 503 and body["code"] == "service_unavailable"
    assert "try again" in body["detail"]


def test_the_api_answers_503_while_the_database_is_down(integration_user, request, caplog):  # type: ignore[no-untyped-def]
    erp = token_client(integration_user)
    request.getfixturevalue("database_unreachable")
    with caplog.at_level(logging.WARNING):
        response = erp.post(
            "/api/v1/demand-events/",
            {"external_id": "SO-1", "product": "F-100", "quantity": "1"},
            format="json",
        )
        listed = erp.get("/api/v1/work-orders/")
    assert_service_unavailable_problem(response)
    assert_service_unavailable_problem(listed)
    outages = [r for r in caplog.records if "503" in r.getMessage()]
    assert outages and all(r.levelno == logging.WARNING and not r.exc_info for r in outages)


def test_a_page_asks_to_try_again_while_the_database_is_down(operator, request):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(operator)
    request.getfixturevalue("database_unreachable")
    response = client.get(reverse("kanban:boards"))
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Pullboard is back in a moment" in page and "Try again now" in page


@pytest.mark.django_db(transaction=True)
def test_a_scan_asks_to_try_again_while_redis_is_down(plant, operator, settings):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(operator)
    card = KanbanCard.objects.filter(loop=plant.finished_loop).first()
    assert card is not None
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    response = client.post(reverse("kanban:scan"), {"code": f"PB-CARD:{card.pk}"})
    assert response.status_code == 503
    assert "Pullboard is back in a moment" in response.content.decode()
    card.refresh_from_db()
    assert card.status == "full", "nothing was moved"
