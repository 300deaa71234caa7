"""The intake throttle counts events: a list of 1,000 demand events costs 1,000 of the
token's budget, and a request past the budget is refused whole (429, Retry-After, a
problem document naming the limit), storing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.settings import api_settings

from production.api.throttling import TokenRateThrottle
from production.models import DemandEvent
from production.redis_clients import shared_redis


@pytest.fixture
def budget_of_1500() -> Iterator[None]:
    old = TokenRateThrottle.THROTTLE_RATES
    TokenRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "1500/hour"}
    try:
        yield
    finally:
        TokenRateThrottle.THROTTLE_RATES = old


@pytest.fixture(params=["redis", "cache"])
def throttle_store(request: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """The Redis script (services profile) and Django's cache (embedded profile)."""
    if request.param == "cache":
        import production.api.throttling as throttling

        monkeypatch.setattr(throttling, "shared_redis", lambda: None)
        cache.clear()
    else:
        assert shared_redis() is not None, "the suite's Redis is configured"
    return str(request.param)


def events(prefix: str, count: int) -> list[dict[str, Any]]:
    return [
        {"external_id": f"{prefix}-{n}", "product": "F-100", "quantity": "1"} for n in range(count)
    ]


def test_a_list_costs_one_per_event(erp, plant, budget_of_1500, throttle_store):
    first = erp.post("/api/v1/demand-events/", events("a", 1000), format="json")
    assert first.status_code == 201, first.content

    # 1,000 used of 1,500: another 1,000 do not fit, though it is only the second request.
    refused = erp.post("/api/v1/demand-events/", events("b", 1000), format="json")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert 0 < int(refused["Retry-After"]) <= 3600
    body = refused.json()
    assert (body["code"], body["limit"], body["cost"]) == ("throttled", 1500, 1000)
    assert body["window_seconds"] == 3600
    assert "1500" in body["detail"]
    assert not DemandEvent.objects.filter(external_id__startswith="b-").exists()

    # A refused request used nothing: 500 events still fit, then the budget is spent.
    assert erp.post("/api/v1/demand-events/", events("c", 500), format="json").status_code == 201
    assert erp.get("/api/v1/lines/").status_code == 429
    assert DemandEvent.objects.count() == 1500


def test_single_requests_still_cost_one(erp, plant, budget_of_1500, throttle_store):
    for n in range(3):
        one = {"external_id": f"one-{n}", "product": "F-100", "quantity": "1"}
        assert erp.post("/api/v1/demand-events/", one, format="json").status_code == 201
    assert erp.post("/api/v1/demand-events/", events("d", 1497), format="json").status_code == 400
    # (a list of more than 1,000 is a 400, and costs at most 1,000)
    assert erp.post("/api/v1/demand-events/", events("e", 497), format="json").status_code == 201
    assert erp.get("/api/v1/lines/").status_code == 429
