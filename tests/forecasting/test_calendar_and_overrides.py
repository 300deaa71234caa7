"""The calendar and the planner's overrides through the refresh, the API and the pages,
and push planning using the forecast in force."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from production.models import DemandEvent, LineMode
from production.planning.models import (
    ForecastCalendar,
    ForecastOverride,
    ProductForecast,
    ProductForecastCalendar,
)
from production.planning.services.forecasts import forecast_run_request
from production.planning.services.push import push_plan_run
from tests.factories import LineFactory, ProductFactory

D = Decimal
MONDAY = date(2026, 3, 2)


def token_client(user) -> APIClient:  # type: ignore[no-untyped-def]
    _, key = AuthToken.objects.create(user=user)
    client = APIClient(enforce_csrf_checks=False)
    client.default_format = "json"
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def record(product, days: list[date], quantity: int = 10) -> None:  # type: ignore[no-untyped-def]
    DemandEvent.objects.bulk_create(
        [
            DemandEvent(
                product=product,
                quantity=D(quantity),
                external_id=f"{product.sku}-{day.isoformat()}",
                occurred_at=timezone.make_aware(datetime.combine(day, time(10))),
                processed_at=timezone.now(),
                status="fulfilled",
            )
            for day in days
        ]
    )


def refresh(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        forecast_run_request(actor_id=None)


def test_a_weekly_erp_is_forecast_in_weeks_and_settings_win_over_detection(
    db, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    weekly = ProductFactory(sku="WEEKLY")
    daily = ProductFactory(sku="DAILY")
    mondays = [today - timedelta(days=today.weekday() + 7 * k) for k in range(1, 40)]
    record(weekly, mondays, 70)
    # Whole weeks of 10 a day, the 17 before the current one (and its days so far, which the
    # forecast covers): a history that began mid-week would make a short first week, whose
    # pull on the forecast depended on the weekday the test ran.
    first_monday = mondays[0] - timedelta(weeks=16)
    record(
        daily, [first_monday + timedelta(days=k) for k in range((today - first_monday).days)], 10
    )
    refresh(django_capture_on_commit_callbacks)
    forecast = ProductForecast.objects.get(product=weekly)
    assert forecast.bucket == "week" and forecast.calendar_source["bucket"] == "detected"
    assert forecast.start_date == today - timedelta(days=today.weekday())
    assert forecast.history_buckets == 39
    assert forecast.values[0] == pytest.approx(70, abs=1)  # 70 a week, not 10 a day
    assert ProductForecast.objects.get(product=daily).bucket == "day"

    ForecastCalendar.objects.create(bucket="month", season_length=1)
    ProductForecastCalendar.objects.create(product=daily, bucket="week")
    refresh(django_capture_on_commit_callbacks)
    forecast = ProductForecast.objects.get(product=weekly)
    assert (forecast.bucket, forecast.season_length) == ("month", 1)
    assert forecast.calendar_source["bucket"] == forecast.calendar_source["season"] == "plant"
    assert forecast.start_date == today.replace(day=1)
    mine = ProductForecast.objects.get(product=daily)
    assert mine.bucket == "week" and mine.calendar_source["bucket"] == "product"
    assert mine.values[0] == pytest.approx(70, abs=1)


@pytest.fixture
def forecast(db):  # type: ignore[no-untyped-def]
    line = LineFactory(code="press", mode=LineMode.PUSH, capacity_per_day=D("1000"))
    product = ProductFactory(sku="BOLT", line=line, lead_time_days=D("6"))
    return ProductForecast.objects.create(
        product=product,
        method="ets_ann",
        start_date=MONDAY,
        bucket="week",
        season_length=1,
        values=[70.0, 70.0, 70.0],
        intervals={"80": {"lower": [60.0] * 3, "upper": [80.0] * 3}},
        sigma_daily=0.0,
    )


def test_a_planner_overrides_a_week_and_push_planning_uses_it(forecast, planner) -> None:  # type: ignore[no-untyped-def]
    api = token_client(planner)
    url = "/api/v1/forecasts/BOLT/overrides/"
    answer = api.post(
        url, {"period_start": "2026-03-02", "kind": "set", "quantity": 140, "reason": "promo"}
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["before"] == 70 and answer.json()["after"] == 140
    answer = api.post(
        url, {"period_start": "2026-03-02", "kind": "adjust", "quantity": -14, "reason": "less"}
    )
    assert answer.json()["before"] == 140 and answer.json()["after"] == 126
    detail = api.get("/api/v1/forecasts/BOLT/").json()
    assert detail["values"] == [70.0, 70.0, 70.0]
    assert detail["values_in_force"] == [126.0, 70.0, 70.0]
    history = api.get(url).json()
    assert [h["reason"] for h in history] == ["less", "promo"]
    assert history[0]["created_by"] == "pete"
    # Push: protection = lead 6 + review 1 = 7 days of the week in force = 126.
    plan = push_plan_run(line=forecast.product.line, period_start=MONDAY)
    row = plan.lines.get()
    assert row.explanation["forecast_over_protection"] == pytest.approx(126)
    assert row.quantity == D("130")  # whole containers of 10


def test_clearing_an_override_brings_back_the_model_value(forecast, planner) -> None:  # type: ignore[no-untyped-def]
    api = token_client(planner)
    url = "/api/v1/forecasts/BOLT/overrides/"
    api.post(url, {"period_start": "2026-03-09", "kind": "set", "quantity": 0, "reason": "shut"})
    answer = api.post(url, {"period_start": "2026-03-09", "kind": "clear", "reason": "reopened"})
    assert answer.json()["after"] == 70
    forecast.refresh_from_db()
    assert forecast.overrides == {}
    assert ForecastOverride.objects.count() == 2


@pytest.mark.parametrize(
    "body,field",
    [
        (
            {"period_start": "2026-03-03", "kind": "set", "quantity": 5, "reason": "x"},
            "period_start",
        ),
        (
            {"period_start": "2026-04-06", "kind": "set", "quantity": 5, "reason": "x"},
            "period_start",
        ),
        (
            {"period_start": "2026-03-02", "kind": "adjust", "quantity": -71, "reason": "x"},
            "quantity",
        ),
        ({"period_start": "2026-03-02", "kind": "set", "reason": "x"}, "quantity"),
        ({"period_start": "2026-03-02", "kind": "set", "quantity": 5, "reason": " "}, "reason"),
        ({"period_start": "2026-03-02", "kind": "double", "quantity": 5, "reason": "x"}, "kind"),
    ],
)
def test_a_bad_override_is_a_400_naming_the_field_and_changes_nothing(
    forecast, planner, body, field
) -> None:  # type: ignore[no-untyped-def]
    answer = token_client(planner).post("/api/v1/forecasts/BOLT/overrides/", body)
    assert answer.status_code == 400, answer.content
    assert field in answer.content.decode()
    forecast.refresh_from_db()
    assert forecast.overrides == {} and not ForecastOverride.objects.exists()


def test_only_planners_override_or_set_calendars(forecast, operator) -> None:  # type: ignore[no-untyped-def]
    api = token_client(operator)
    body = {"period_start": "2026-03-02", "kind": "set", "quantity": 5, "reason": "x"}
    assert api.post("/api/v1/forecasts/BOLT/overrides/", body).status_code == 403
    assert api.put("/api/v1/forecast-calendar/", {"bucket": "week"}).status_code == 403
    assert api.put("/api/v1/forecasts/BOLT/calendar/", {"bucket": "week"}).status_code == 403
    assert not ForecastOverride.objects.exists() and not ForecastCalendar.objects.exists()


def test_calendars_over_the_api(forecast, admin_user) -> None:  # type: ignore[no-untyped-def]
    api = token_client(admin_user)
    assert api.get("/api/v1/forecast-calendar/").json() == {"bucket": "", "season_length": None}
    answer = api.put("/api/v1/forecast-calendar/", {"bucket": "month", "season_length": 12})
    assert answer.json() == {"bucket": "month", "season_length": 12}
    bad = api.put("/api/v1/forecast-calendar/", {"bucket": "week", "season_length": 60})
    assert bad.status_code == 400 and "season_length" in bad.content.decode()
    bad = api.put("/api/v1/forecast-calendar/", {"bucket": "year"})
    assert bad.status_code == 400 and "bucket" in bad.content.decode()
    assert api.get("/api/v1/forecast-calendar/").json()["bucket"] == "month"
    answer = api.put("/api/v1/forecasts/BOLT/calendar/", {"bucket": "week", "season_length": 52})
    assert answer.json() == {"bucket": "week", "season_length": 52}
    own = ProductForecastCalendar.objects.get(product=forecast.product)
    assert (own.bucket, own.season_length) == ("week", 52)


def test_the_pages_show_calendar_intervals_and_take_overrides(forecast, client, planner) -> None:  # type: ignore[no-untyped-def]
    client.force_login(planner)
    page = client.get("/planning/forecasts/").content.decode()
    assert "Week (Monday to Sunday)" in page and "(60.0 \u2013 80.0)" in page
    answer = client.post(
        "/planning/forecasts/BOLT/",
        {
            "form": "override",
            "period_start": "2026-03-09",
            "kind": "set",
            "quantity": "90",
            "reason": "fair",
        },
    )
    assert answer.status_code == 302
    detail = client.get("/planning/forecasts/BOLT/").content.decode()
    assert 'id="override-history"' in detail and "fair" in detail and "overridden" in detail
    assert "60.00 \u2013 80.00" in detail
    client.post("/planning/forecasts/BOLT/", {"form": "calendar", "bucket": "month"})
    assert ProductForecastCalendar.objects.get(product=forecast.product).bucket == "month"
    bad = client.post(
        "/planning/forecasts/BOLT/",
        {
            "form": "override",
            "period_start": "2026-03-09",
            "kind": "adjust",
            "quantity": "-500",
            "reason": "x",
        },
    )
    assert bad.status_code == 200 and "cannot be negative" in bad.content.decode()
