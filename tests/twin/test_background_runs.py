"""Embedded profile: a comparison runs in a background thread, so the POST that starts it
answers at once (202, queued or running) and the comparison finishes on its own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from rest_framework.test import APIClient

from production.comparisons import background, services
from production.comparisons.models import Comparison
from tests.twin.specs import DESCRIBED


@pytest.fixture
def in_background(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Future]]:
    """The embedded profile's setting on; the runs handed to the thread, to wait on."""
    settings.PULLBOARD = {**settings.PULLBOARD, "COMPARISONS_IN_BACKGROUND_THREAD": True}
    runs: list[Future] = []
    submit = background.comparison_run_in_background

    def recorded(comparison_id: int) -> Future:
        runs.append(submit(comparison_id))
        return runs[-1]

    monkeypatch.setattr(background, "comparison_run_in_background", recorded)
    yield runs
    for run in runs:
        run.result(timeout=120)


@pytest.fixture
def held_twin(monkeypatch: pytest.MonkeyPatch) -> dict[str, threading.Event]:
    """The twin waits for `release` (at most 15 s) before it runs."""
    events = {"started": threading.Event(), "release": threading.Event()}
    real = services.compare

    def held(spec: dict[str, Any], progress: Any = None) -> dict[str, Any]:
        events["started"].set()
        events["release"].wait(timeout=15)
        return real(spec, progress=progress)

    monkeypatch.setattr(services, "compare", held)
    return events


@pytest.mark.django_db(transaction=True)
def test_the_post_answers_before_the_twin_has_run(planner, in_background, held_twin):
    api = APIClient()
    api.force_authenticate(planner)
    response = api.post(
        "/api/v1/comparisons/", {"name": "New cell", "spec": DESCRIBED}, format="json"
    )
    assert response.status_code == 202, response.content
    # Answered while the twin is still held: inline, the POST would have waited for it.
    assert not held_twin["release"].is_set()
    assert response.json()["status"] in ("queued", "running")
    assert held_twin["started"].wait(timeout=30), "the background run did not start"
    comparison = Comparison.objects.get(pk=response.json()["id"])
    assert comparison.status == "running"

    held_twin["release"].set()
    in_background[0].result(timeout=120)
    comparison.refresh_from_db()
    assert comparison.status == "done" and comparison.results["policies"]
    assert api.get(response["Location"]).json()["status"] == "done"


@pytest.mark.django_db(transaction=True)
def test_a_run_that_fails_is_marked_failed_and_the_thread_goes_on(
    planner, in_background, monkeypatch
):
    def broken(spec: dict[str, Any], progress: Any = None) -> dict[str, Any]:
        raise RuntimeError("twin exploded")

    monkeypatch.setattr(services, "compare", broken)
    api = APIClient()
    api.force_authenticate(planner)
    first = api.post("/api/v1/comparisons/", {"spec": DESCRIBED}, format="json").json()
    in_background[0].result(timeout=60)
    failed = Comparison.objects.get(pk=first["id"])
    assert failed.status == "failed" and "twin exploded" in failed.error

    monkeypatch.setattr(services, "compare", lambda spec, progress=None: {"policies": [1]})
    second = api.post("/api/v1/comparisons/", {"spec": DESCRIBED}, format="json").json()
    in_background[1].result(timeout=60)
    assert Comparison.objects.get(pk=second["id"]).status == "done"
