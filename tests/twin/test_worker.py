"""A comparison through a real Celery worker: queued, running with progress, done."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from production.comparisons.models import Comparison, ComparisonStatus
from tests.integration.conftest import broker, start_worker, wait_for  # noqa: F401
from tests.twin.specs import DESCRIBED

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]


def test_a_comparison_runs_on_a_worker_and_reports_progress(planner, request) -> None:  # type: ignore[no-untyped-def]
    worker = request.getfixturevalue("start_worker")(concurrency=1)
    client = APIClient()
    client.force_authenticate(planner)
    heavy = dict(DESCRIBED, horizon_days=365, replications=12)
    response = client.post("/api/v1/comparisons/", {"spec": heavy}, format="json")
    assert response.status_code == 202
    pk = response.data["id"]
    seen: set[float] = set()

    def finished() -> bool:
        c = Comparison.objects.get(pk=pk)
        if c.status == ComparisonStatus.RUNNING:
            seen.add(c.progress)
        return c.status in (ComparisonStatus.DONE, ComparisonStatus.FAILED)

    try:
        wait_for(finished, timeout=180, what="the comparison to finish on the worker")
    except BaseException:
        print(Comparison.objects.filter(pk=pk).values("status", "progress", "error").first())
        print(worker.log.read_text()[-4000:])
        raise
    done = client.get(f"/api/v1/comparisons/{pk}/").json()
    assert done["status"] == "done", done["error"]
    assert done["progress"] == 1.0
    assert any(0 < p < 1 for p in seen), seen  # the bar moved while it ran
    assert len(done["results"]["policies"]) == 3
