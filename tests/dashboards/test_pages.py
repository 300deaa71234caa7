"""Planners' dashboard pages: what they show, who may see them, exports, query caps."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from production.comparisons.models import Comparison, ComparisonStatus
from production.comparisons.twin import compare
from tests.twin.specs import DESCRIBED


@pytest.fixture
def planner_client(planner) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(planner)
    return client


@pytest.fixture
def done_comparison(history_line, planner) -> Comparison:  # type: ignore[no-untyped-def]
    return Comparison.objects.create(
        name="press: last 28 days",
        line=history_line,
        spec=DESCRIBED,
        created_by=planner,
        status=ComparisonStatus.DONE,
        progress=1.0,
        results=compare(DESCRIBED),
    )


def _rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_line_dashboard_shows_live_kpis(
    planner_client, history_line, done_comparison, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    with django_assert_max_num_queries(20):
        response = planner_client.get("/dashboards/lines/press/?days=28")
    assert response.status_code == 200
    html = response.content.decode()
    # One container of each product (10 + 6 units) finished every day.
    assert '<span class="kpi-value" data-kpi="throughput">16.0</span>' in html
    assert '<span class="kpi-value" data-kpi="signals">1</span>' in html
    assert 'id="dashboard-data"' in html
    assert done_comparison.results["verdict"]["summary"] in html
    for chart in ("cfd", "levels", "leadtime", "little", "compare-fg", "compare-bo"):
        assert f'data-chart="{chart}"' in html
    assert "<script>" not in html  # CSP: no inline scripts


def test_dashboard_queries_do_not_grow_with_history(
    planner_client, history_line, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    with django_assert_max_num_queries(20):
        assert planner_client.get("/dashboards/lines/press/?days=56").status_code == 200
    with django_assert_max_num_queries(8):
        assert planner_client.get("/dashboards/").status_code == 200


def test_flow_export_has_a_row_per_day(planner_client, history_line) -> None:  # type: ignore[no-untyped-def]
    response = planner_client.get("/dashboards/lines/press/export/flow.csv?days=28")
    assert response["Content-Type"].startswith("text/csv")
    rows = _rows(response)
    assert rows[0][:3] == ["day", "cum_demanded", "cum_signalled"]
    assert len(rows) == 1 + 29
    assert float(rows[-1][4]) == pytest.approx(16 * 28)  # cumulative completed


def test_every_table_exports(planner_client, history_line, done_comparison) -> None:  # type: ignore[no-untyped-def]
    for table in ("kpis", "lead-times", "little", "ageing"):
        response = planner_client.get(f"/dashboards/lines/press/export/{table}.csv")
        assert response.status_code == 200 and len(_rows(response)) > 1, table
    metrics = _rows(
        planner_client.get(f"/dashboards/comparisons/{done_comparison.pk}/export/metrics.csv")
    )
    assert [r[0] for r in metrics[1:]] == ["kanban (6 cards)", "CONWIP (cap 6)", "push (MRP)"]
    series = _rows(
        planner_client.get(f"/dashboards/comparisons/{done_comparison.pk}/export/series.csv")
    )
    assert len(series) == 1 + 3 * 60  # one point per day of the 60-day horizon, time-averaged
    assert planner_client.get("/dashboards/lines/press/export/nonsense.csv").status_code == 404


def test_operators_do_not_see_dashboards(operator, history_line) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(operator)
    assert client.get("/dashboards/lines/press/").status_code == 403
    assert client.get("/dashboards/comparisons/").status_code == 403


def test_comparison_page_side_by_side(planner_client, done_comparison) -> None:  # type: ignore[no-untyped-def]
    html = planner_client.get(f"/dashboards/comparisons/{done_comparison.pk}/").content.decode()
    assert done_comparison.results["verdict"]["summary"] in html
    assert "fill rate" in html and "finished stock (mean units)" in html
    for reason in done_comparison.results["verdict"]["reasons"]:
        assert reason in html


def test_planner_starts_a_comparison_and_follows_its_progress(
    planner_client, history_line, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = planner_client.post(
            "/dashboards/comparisons/",
            {
                "line": "press",
                "days": 14,
                "conwip_cap": 4,
                "advance_demand_days": 0,
                "replications": 1,
                "seed": 1,
            },
        )
    comparison = Comparison.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"/dashboards/comparisons/{comparison.pk}/"
    )
    assert [p["kind"] for p in comparison.spec["policies"]] == ["kanban", "push", "conwip"]
    waiting = planner_client.get(
        response["Location"], headers={"HX-Request": "true"}
    ).content.decode()
    assert 'data-status="queued"' in waiting and 'hx-trigger="every 1s"' in waiting
    for callback in queued:
        callback()
    done = planner_client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="done"' in done and "hx-trigger" not in done


def test_two_comparisons_side_by_side(
    planner_client, done_comparison, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    other = Comparison.objects.create(
        name="other", spec=DESCRIBED, status=ComparisonStatus.DONE, results=done_comparison.results
    )
    listing = planner_client.get("/dashboards/comparisons/").content.decode()
    assert f'name="ids" value="{other.pk}"' in listing
    with django_assert_max_num_queries(6):
        html = planner_client.get(
            f"/dashboards/comparisons/side-by-side/?ids={done_comparison.pk}&ids={other.pk}"
        ).content.decode()
    assert html.count("push (MRP)") == 2
    rows = _rows(
        planner_client.get(
            f"/dashboards/comparisons/side-by-side/?ids={done_comparison.pk}&ids={other.pk}&format=csv"
        )
    )
    assert len(rows) == 1 + 6 and rows[0][:3] == ["comparison", "name", "policy"]


def test_cards_by_status_shows_the_line_loops(planner_client, history_line) -> None:  # type: ignore[no-untyped-def]
    from kanban.services import loop_create
    from production.models import Product

    loop_create(product=Product.objects.get(sku="P-A"), card_count=3)
    html = planner_client.get("/dashboards/lines/press/").content.decode()
    table = html.split('id="cards-by-status"')[1].split("</table>")[0]
    assert "<td>full</td><td>3</td>" in table
    rows = _rows(planner_client.get("/dashboards/lines/press/export/cards.csv"))
    assert rows[1][:2] == ["full", "3"]
