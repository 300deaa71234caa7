"""What a planner sees and does: forecast pages with refresh, push plans with their numbers,
the line mode switch with its history; the same over the API with role checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from production.models import LineMode, LineModeSwitch, WorkOrder
from production.planning.models import ForecastRun, ProductForecast
from production.planning.services.push import push_plan_run
from tests.factories import LineFactory, ProductFactory

D = Decimal
TODAY = date(2026, 3, 2)


def token_client(user) -> APIClient:  # type: ignore[no-untyped-def]
    _, key = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def setup(db):  # type: ignore[no-untyped-def]
    line = LineFactory(code="press", mode=LineMode.PUSH, capacity_per_day=D("20"))
    products = []
    for i, sku in enumerate(("BOLT", "NUT", "WASHER")):
        product = ProductFactory(sku=sku, line=line, lead_time_days=D("2"))
        ProductForecast.objects.create(
            product=product,
            method="holt_winters" if i else "history_mean",
            fallback_reason="" if i else "Only 12 days of demand history; the backtest needs 70.",
            start_date=TODAY,
            values=[5.0 + i] * 56,
            sigma_daily=1.5,
            scores={}
            if not i
            else {
                "holt_winters": {"mase": 0.71, "bias": -0.2, "rmse": 1.5},
                "naive": {"mase": 1.3, "bias": 0.1, "rmse": 2.5},
            },
        )
        products.append(product)
    return line, products


def test_forecast_page_shows_methods_scores_and_fallbacks(
    client, planner, setup, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(planner)
    with django_assert_max_num_queries(8):
        page = client.get("/planning/forecasts/").content.decode()
    assert "Holt-Winters (additive)" in page and "0.710" in page
    assert "Only 12 days of demand history" in page
    detail = client.get("/planning/forecasts/NUT/").content.decode()
    assert "Naive" in detail and "1.300" in detail and "(kept)" in detail
    assert 'id="forecast-data"' in detail and "forecast-chart.js" in detail


def test_the_forecast_page_lists_a_plant_of_products_a_page_at_a_time(
    client, planner, setup, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    # A plant has thousands of products: the page shows 100 in SKU order, with the pages.
    line, _ = setup
    ProductForecast.objects.bulk_create(
        ProductForecast(
            product=ProductFactory(sku=f"P-{n:04d}", line=line),
            method="naive",
            start_date=TODAY,
            values=[1.0] * 56,
        )
        for n in range(250)
    )
    client.force_login(planner)
    with django_assert_max_num_queries(8):
        first = client.get("/planning/forecasts/").content.decode()
    assert first.count('<td><a href="/planning/forecasts/') == 100
    assert "Products 1 to 100 of 253" in first and 'href="?page=2"' in first
    assert "P-0099" not in first and "BOLT" in first
    last = client.get("/planning/forecasts/", {"page": "last"}).content.decode()
    assert "Products 201 to 253 of 253" in last and "WASHER" in last
    assert client.get("/planning/forecasts/", {"page": "x"}).status_code == 200


def test_refresh_from_the_page_runs_and_shows_progress(
    client, planner, setup, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(planner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/planning/forecasts/refresh/")
    assert response.status_code == 302
    run = ForecastRun.objects.get()
    assert run.status == "done" and run.done_products == 3
    fragment = client.get("/planning/forecasts/progress/").content.decode()
    assert "Done" in fragment and 'value="100"' in fragment
    assert "every 1s" not in fragment  # polling stops once the run is over


def test_operators_cannot_open_planning_pages(client, operator, setup) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    assert client.get("/planning/forecasts/").status_code == 403
    assert (
        client.post("/planning/lines/press/mode/", {"mode": "pull", "reason": "x"}).status_code
        == 403
    )


def test_push_plan_page_explains_every_order_and_flags_capacity(
    client, planner, setup, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    """Planning makes a draft to review (product, quantity, due date, load against
    capacity, overloads marked); nothing is released until the planner says so, once."""
    line, _ = setup
    client.force_login(planner)
    response = client.post("/planning/push/", {"line": "press"})
    plan = line.push_plans.get()
    assert response.status_code == 302 and response["Location"] == f"/planning/push/{plan.pk}/"
    assert plan.status == "draft"
    assert not WorkOrder.objects.filter(origin="push").exists()
    with django_assert_max_num_queries(10):
        page = client.get(response["Location"]).content.decode()
    assert "Safety stock = z x sigma x sqrt(L)" in page and "Net requirement" in page
    assert plan.over_capacity  # 3 products x ~20 units over 3 days > 20 per day x 1 day
    assert "Over capacity" in page and "beyond capacity" in page and "overload" in page
    row = plan.lines.filter(quantity__gt=0).select_related("product").first()
    assert row is not None and row.explanation["due_at"][:10] in page
    assert "Release these orders" in page and "Discard the draft" in page
    for _attempt in range(2):
        released = client.post(f"/planning/push/{plan.pk}/release/")
        assert released.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "released"
    assert WorkOrder.objects.filter(origin="push", status="released").count() == 3
    assert "Release these orders" not in client.get(f"/planning/push/{plan.pk}/").content.decode()
    with django_assert_max_num_queries(8):
        listing = client.get("/planning/push/").content.decode()
    assert "Over capacity" in listing and "press" in listing


def test_line_mode_page_switches_with_reason_and_keeps_history(client, planner, setup) -> None:  # type: ignore[no-untyped-def]
    client.force_login(planner)
    refused = client.post("/planning/lines/press/mode/", {"mode": "pull", "reason": ""})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    ok = client.post(
        "/planning/lines/press/mode/",
        {"mode": "pull", "reason": "forecast trial over", "effective_at": "2026-03-02T06:00"},
    )
    assert ok.status_code == 302
    switch = LineModeSwitch.objects.get()
    assert (switch.from_mode, switch.to_mode, switch.switched_by) == ("push", "pull", planner)
    assert switch.effective_at.hour == 6
    page = client.get("/planning/lines/press/mode/").content.decode()
    assert "forecast trial over" in page and "push → pull" in page


def test_api_forecasts_push_plans_and_explanations(
    planner, operator, setup, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    setup  # noqa: B018 (the line and products exist)
    api = token_client(planner)
    with django_assert_max_num_queries(6):
        listed = api.get("/api/v1/forecasts/").json()
    rows = listed["results"]
    assert [r["product"] for r in rows] == ["BOLT", "NUT", "WASHER"]
    assert rows[1]["scores"]["holt_winters"]["mase"] == 0.71
    assert api.get("/api/v1/forecasts/BOLT/").json()["fallback_reason"].startswith("Only 12 days")

    reader = token_client(operator)
    assert reader.post("/api/v1/forecasts/refresh/").status_code == 403
    assert (
        reader.post("/api/v1/push-plans/run/", {"line": "press"}, format="json").status_code == 403
    )

    made = api.post(
        "/api/v1/push-plans/run/", {"line": "press", "period_start": "2026-03-02"}, format="json"
    )
    assert made.status_code == 201
    plan = made.json()
    assert plan["over_capacity"] is True and len(plan["lines"]) == 3
    again = api.post(
        "/api/v1/push-plans/run/", {"line": "press", "period_start": "2026-03-02"}, format="json"
    )
    assert again.json()["id"] == plan["id"]
    order_id = plan["lines"][1]["work_order"]
    assert reader.get(f"/api/v1/push-orders/{order_id}/explanation/").status_code == 403
    why = api.get(f"/api/v1/push-orders/{order_id}/explanation/").json()
    assert why["product"] == "NUT"
    assert why["explanation"]["net_requirement"] > 0
    assert why["explanation"]["forecast_over_protection"] == pytest.approx(18)  # 6/day x 3 days
    with django_assert_max_num_queries(6):
        assert len(api.get("/api/v1/push-plans/").json()["results"]) == 1

    pull_line = LineFactory(code="lathe")
    refused = api.post("/api/v1/push-plans/run/", {"line": pull_line.code}, format="json")
    assert refused.status_code == 409


def test_push_plan_is_idempotent_through_the_service_and_api(setup) -> None:  # type: ignore[no-untyped-def]
    line, _ = setup
    push_plan_run(line=line, period_start=TODAY)
    push_plan_run(line=line, period_start=TODAY)
    assert WorkOrder.objects.filter(origin="push").count() == 3


def test_a_products_dependent_demand_is_read_through_its_own_index(setup) -> None:  # type: ignore[no-untyped-def]
    # The forecast chart and the refresh read what work orders took of a component per
    # day: a partial index (product, created_at) of those moves serves it, where the
    # date index made a busy plant's page read every move of the window.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from production.planning.services.forecasts import daily_histories

    _, products = setup
    with CaptureQueriesContext(connection) as captured:
        daily_histories([products[0].pk], end=TODAY, max_days=56)
    (sql,) = [q["sql"] for q in captured.captured_queries if "production_stockmove" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "stock_move_dependent_idx" in plan, plan
