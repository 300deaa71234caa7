"""A comparison that would not fit in a worker is refused before it runs, naming the bound;
one that fails anyway is a failed comparison, never a dead worker."""

from __future__ import annotations

import copy

import pytest
from rest_framework.test import APIClient

from production.comparisons.models import Comparison, ComparisonStatus
from production.comparisons.tasks import comparison_run_task
from production.comparisons.twin import spec as twin_spec
from tests.twin.specs import DESCRIBED


@pytest.fixture
def api(planner) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(planner)
    return client


def spec_with(**changes) -> dict:  # type: ignore[no-untyped-def]
    spec = copy.deepcopy(DESCRIBED)
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = spec
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[last] = value
    return spec


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        (
            spec_with(products__0__demand={"kind": "poisson", "rate_per_day": 1e9}),
            "spec.products[0].demand",
            "20,000,000",
        ),
        (
            spec_with(
                products__0__demand={
                    "kind": "distribution",
                    "dist": "gamma",
                    "mean_per_day": 7e10,
                    "cv": 0.5,
                }
            ),
            "spec.products[0].demand",
            "20,000,000",
        ),
        (
            spec_with(products__0__demand={"kind": "history", "events": [[1, 7e10]]}),
            "spec.products[0].demand",
            "20,000,000",
        ),
        (spec_with(replications=50, horizon_days=3000), "spec.products[0].demand", "20,000,000"),
        (spec_with(policies=[{"kind": "push"}] * 1000), "spec.policies", "at most 10"),
        (
            spec_with(policies=[{"kind": "kanban", "cards": 6_000_000_000}]),
            "spec.policies[0].cards",
            "10,000",
        ),
    ],
)
def test_a_spec_past_the_bounds_is_a_400_naming_it(api, spec, field, words):
    response = api.post("/api/v1/comparisons/", {"name": "big", "spec": spec}, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert words in errors[0]["message"]
    assert not Comparison.objects.exists()


def test_a_spec_inside_the_bounds_is_taken(api):
    response = api.post("/api/v1/comparisons/", {"name": "ok", "spec": DESCRIBED}, format="json")
    assert response.status_code == 202


def test_a_comparison_that_runs_out_of_memory_is_failed_and_the_task_returns(planner, monkeypatch):
    comparison = Comparison.objects.create(
        name="huge", spec=DESCRIBED, created_by=planner, status=ComparisonStatus.QUEUED
    )

    def out_of_memory(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise MemoryError("Unable to allocate 273. GiB")

    monkeypatch.setattr("production.comparisons.services.compare", out_of_memory)
    assert comparison_run_task.apply(args=[comparison.pk]).get() == "failed"
    comparison.refresh_from_db()
    assert comparison.status == ComparisonStatus.FAILED
    assert "ran out of memory" in comparison.error


def test_the_bounds_are_what_the_docs_say():
    assert twin_spec.MAX_SIMULATED_WORK == 20_000_000
    assert twin_spec.MAX_POLICIES == 10
    assert twin_spec.MAX_CARDS == 10_000
