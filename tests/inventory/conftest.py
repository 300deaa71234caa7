"""Fixtures of the card-count tests: clients per role, a card count helper."""

from __future__ import annotations

import pytest
from django.test import Client


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def operator_client(operator) -> Client:  # type: ignore[no-untyped-def]
    return _client(operator)


@pytest.fixture
def planner_client(planner) -> Client:  # type: ignore[no-untyped-def]
    return _client(planner)


@pytest.fixture
def erp_client(integration_user) -> Client:  # type: ignore[no-untyped-def]
    return _client(integration_user)
