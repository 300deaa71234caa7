"""Comparisons through the API, the `compare` command and the nightly shadow task."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from production.comparisons.models import Comparison, ComparisonKind, ComparisonStatus
from production.comparisons.tasks import shadow_compare_task
from production.models import LineMode
from tests.twin.specs import DESCRIBED


@pytest.fixture
def api(planner) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(planner)
    return client


def test_planner_compares_a_line_that_does_not_exist_yet(
    api, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/comparisons/", {"name": "New cell", "spec": DESCRIBED}, format="json"
        )
    assert response.status_code == 202, response.content
    assert response["Location"].endswith(f"/api/v1/comparisons/{response.data['id']}/")
    detail = api.get(response["Location"]).json()
    assert detail["status"] == "done"
    assert detail["progress"] == 1.0
    labels = [p["label"] for p in detail["results"]["policies"]]
    assert labels == ["kanban (6 cards)", "CONWIP (cap 6)", "push (MRP)"]
    assert detail["summary"] == detail["results"]["verdict"]["summary"] != ""
    listed = api.get("/api/v1/comparisons/").json()
    assert listed["results"][0]["summary"] == detail["summary"]


def test_planner_compares_a_live_line_over_its_history(
    api, history_line, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/comparisons/",
            {
                "line": "press",
                "days": 28,
                "replications": 2,
                "policies": [
                    {"kind": "kanban", "cards": 3},
                    {"kind": "push", "advance_demand_days": 2},
                ],
            },
            format="json",
        )
    assert response.status_code == 202, response.content
    comparison = Comparison.objects.get(pk=response.data["id"])
    assert comparison.status == ComparisonStatus.DONE, comparison.error
    assert comparison.line == history_line
    spec = comparison.spec
    assert [p["sku"] for p in spec["products"]] == ["P-A", "P-B"]
    assert spec["horizon_days"] == 28
    assert len(spec["products"][0]["history_before"]) == 28
    replayed = sum(q for _, q in spec["products"][0]["demand"]["events"])
    simulated = comparison.results["policies"][0]["metrics"]["units_demanded"]
    assert simulated == pytest.approx(
        replayed + sum(q for _, q in spec["products"][1]["demand"]["events"])
    )


def test_bad_spec_is_refused_with_the_field_named(api) -> None:  # type: ignore[no-untyped-def]
    bad = dict(DESCRIBED, policies=[{"kind": "kanban", "cards": 0}])
    response = api.post("/api/v1/comparisons/", {"spec": bad}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert any(e["field"] == "spec.policies[0].cards" for e in body["errors"]), body
    assert not Comparison.objects.exists()


def test_operators_cannot_run_comparisons(operator) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(operator)
    assert (
        client.post("/api/v1/comparisons/", {"spec": DESCRIBED}, format="json").status_code == 403
    )
    assert client.get("/api/v1/comparisons/").status_code == 403


def test_comparison_list_queries_are_capped(api, planner, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for i in range(15):
        Comparison.objects.create(
            name=f"c{i}",
            spec=DESCRIBED,
            created_by=planner,
            status=ComparisonStatus.DONE,
            results={"verdict": {"summary": f"s{i}"}},
        )
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/comparisons/")
    assert len(response.json()["results"]) == 15


def test_compare_command_prints_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "line.json"
    path.write_text(json.dumps(DESCRIBED))
    out = io.StringIO()
    call_command("compare", "--spec", str(path), stdout=out)
    printed = json.loads(out.getvalue())
    assert [p["kind"] for p in printed["policies"]] == ["kanban", "conwip", "push"]
    assert "series" not in printed["policies"][0]
    assert printed["verdict"]["summary"]


@pytest.mark.django_db
def test_compare_command_rejects_a_bad_spec(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(dict(DESCRIBED, stations=[])))
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="stations"):
        call_command("compare", "--spec", str(path), stdout=io.StringIO())


def test_compare_command_on_a_live_line_saves_it(history_line) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command(
        "compare", "--line", "press", "--days", "14", "--replications", "1", "--save", stdout=out
    )
    printed = json.loads(out.getvalue())
    saved = Comparison.objects.get(pk=printed["comparison_id"])
    assert saved.status == ComparisonStatus.DONE
    assert saved.results["verdict"]["summary"] == printed["verdict"]["summary"]


def test_nightly_shadow_run_compares_the_live_policy_with_the_other(
    history_line, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    history_line.mode = LineMode.PUSH
    history_line.save(update_fields=["mode"])
    with django_capture_on_commit_callbacks(execute=True):
        ids = shadow_compare_task.delay().get()
    assert len(ids) == 1
    shadow = Comparison.objects.get(pk=ids[0])
    assert shadow.kind == ComparisonKind.SHADOW
    assert shadow.status == ComparisonStatus.DONE, shadow.error
    labels = [p["label"] for p in shadow.results["policies"]]
    assert labels == ["push (live)", "kanban (shadow)"]
    # Once a night: a second run the same day starts nothing.
    assert shadow_compare_task.delay().get() == []


def test_side_by_side_lists_every_policy_of_each_comparison(api, planner) -> None:  # type: ignore[no-untyped-def]
    from production.comparisons.twin import compare

    results = compare(dict(DESCRIBED, replications=1))
    ids = [
        Comparison.objects.create(
            name=f"c{i}",
            spec=DESCRIBED,
            created_by=planner,
            status=ComparisonStatus.DONE,
            results=results,
        ).pk
        for i in range(2)
    ]
    rows = api.get(f"/api/v1/comparisons/side-by-side/?ids={ids[0]},{ids[1]}").json()["rows"]
    assert [(r["comparison"], r["policy"]) for r in rows][:3] == [
        (ids[0], "kanban (6 cards)"),
        (ids[0], "CONWIP (cap 6)"),
        (ids[0], "push (MRP)"),
    ]
    assert len(rows) == 6
    assert rows[0]["fill_rate"] == results["policies"][0]["metrics"]["fill_rate"]
    assert api.get("/api/v1/comparisons/side-by-side/?ids=x").status_code == 400


def test_a_live_line_comparison_takes_a_warm_up(
    api, history_line, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    body = {"line": "press", "days": 28, "replications": 1, "warmup_days": 7}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/comparisons/", body, format="json")
    assert response.status_code == 202, response.content
    comparison = Comparison.objects.get(pk=response.data["id"])
    assert comparison.spec["warmup_days"] == 7
    assert comparison.results["policies"][0]["series"]["day"][0] == 7
    too_long = api.post("/api/v1/comparisons/", {**body, "warmup_days": 28}, format="json")
    assert too_long.status_code == 400
    assert any(e["field"] == "spec.warmup_days" for e in too_long.json()["errors"])
