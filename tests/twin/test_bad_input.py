"""Comparisons refuse what the twin cannot replay with a 400 naming the field, and their
CSV exports cannot carry a spreadsheet formula."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from rest_framework.test import APIClient

from production.comparisons.models import Comparison, ComparisonStatus
from production.comparisons.twin import compare
from tests.twin.specs import DESCRIBED


@pytest.fixture
def api(planner) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(planner)
    return client


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "0001-01-01T00:00:00Z"}, "start"),
        ({"start": "0001-01-01T00:00:00Z", "end": "0001-02-01T00:00:00Z"}, "start"),
        ({"end": "9999-12-31T23:59:59Z"}, "end"),
        ({"start": "2026-11-01T00:00:00Z", "end": "2026-10-01T00:00:00Z"}, "start"),
        ({"seed": 99999999999999999999}, "seed"),
    ],
)
def test_a_period_or_seed_out_of_range_is_a_400_naming_it(api, history_line, body, field):
    response = api.post("/api/v1/comparisons/", {"line": "press", **body}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert {e["field"] for e in response.json()["errors"]} == {field}
    assert not Comparison.objects.exists()


@pytest.mark.parametrize("ids", ["99999999999999999999", "%D9%A3", "1,%EF%BC%91", "-1"])
def test_side_by_side_takes_ascii_ids_only(api, ids):
    response = api.get(f"/api/v1/comparisons/side-by-side/?ids={ids}")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"ids"}


def test_the_side_by_side_page_ignores_what_is_not_an_id(client, planner):
    client.force_login(planner)
    client.raise_request_exception = False
    response = client.get("/dashboards/comparisons/side-by-side/?ids=99999999999999999999&ids=٣")
    assert response.status_code == 200


def test_csv_exports_escape_cells_that_a_spreadsheet_would_run(planner) -> None:
    results = compare(dict(DESCRIBED, replications=1))
    hostile = '=HYPERLINK("http://evil.example","x")'
    done = Comparison.objects.create(
        name=hostile,
        spec=DESCRIBED,
        created_by=planner,
        status=ComparisonStatus.DONE,
        results=results,
    )
    for prefix in ("+", "-", "@"):
        Comparison.objects.create(
            name=f"{prefix}cmd",
            spec=DESCRIBED,
            created_by=planner,
            status=ComparisonStatus.DONE,
            results=results,
        )
    client = Client()
    client.force_login(planner)
    ids = "&".join(f"ids={c.pk}" for c in Comparison.objects.all())
    response = client.get(f"/dashboards/comparisons/side-by-side/?{ids}&format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    names = {row[rows[0].index("name")] for row in rows[1:]}
    assert names == {"'" + hostile, "'+cmd", "'-cmd", "'@cmd"}
    metrics = client.get(f"/dashboards/comparisons/{done.pk}/export/metrics.csv")
    for row in list(csv.reader(io.StringIO(metrics.content.decode())))[1:]:
        assert all(not cell.startswith(("=", "+", "@")) for cell in row)
