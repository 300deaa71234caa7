"""API fixtures: a token-authenticated client per role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import UserFactory

# The real-worker fixtures (a private broker, `celery worker` processes) for
# test_webhooks_worker.py.
from tests.integration.conftest import broker, start_worker  # noqa: F401
from tests.supply_chain import chain  # noqa: F401  (supplier -> warehouse -> line side)

ApiFor = Callable[[Any], APIClient]


@pytest.fixture(autouse=True)
def _fresh_process_memory() -> None:
    """Rows of another test's rolled-back transaction must not be remembered."""
    from production.api.auth import CachedTokenAuthentication
    from production.webhooks.dispatch import forget_subscriptions

    CachedTokenAuthentication.forget_all()
    forget_subscriptions()


def token_client(user: Any) -> APIClient:
    _, key = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def api_for(db: None) -> ApiFor:
    return token_client


@pytest.fixture
def erp(integration_user: Any) -> APIClient:
    return token_client(integration_user)


@pytest.fixture
def planner_api(planner: Any) -> APIClient:
    return token_client(planner)


@pytest.fixture
def operator_api(operator: Any) -> APIClient:
    return token_client(operator)


@pytest.fixture
def nobody_api(db: None) -> APIClient:
    """An authenticated user with no role at all."""
    return token_client(UserFactory(username="norole"))


def problem_fields(response: Any) -> set[str]:
    assert response["Content-Type"].startswith("application/problem+json"), response.content
    return {e["field"] for e in response.json()["errors"]}
