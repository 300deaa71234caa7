"""The data's own calendar: buckets, detection of the ERP's cadence and of the season."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from statsforecast.utils import AirPassengers

from production.planning.forecasting import calendar as cal


def daily_from(events: dict[date, float], *, end: date, days: int) -> np.ndarray:
    out = np.zeros(days)
    for day, quantity in events.items():
        out[days - (end - day).days] = quantity
    return out


def test_weeks_start_on_monday_and_the_current_week_is_forecast_not_counted() -> None:
    end = date(2026, 3, 4)  # a Wednesday
    daily = np.arange(1.0, 22.0)  # 21 days: Wed 11 Feb .. Tue 3 Mar
    totals, start = cal.to_buckets(daily, end=end, bucket="week")
    assert start == date(2026, 3, 2)  # the Monday of the current week
    # weeks of 9 Feb (Wed-Sun: 1..5), 16 Feb (6..12), 23 Feb (13..19); Mon 2 - Tue 3 March
    # belong to the current week, which the forecast covers
    assert totals.tolist() == [15.0, 63.0, 112.0]


def test_months_are_calendar_months() -> None:
    end = date(2026, 4, 1)
    daily = np.ones(90)  # 1 January .. 31 March 2026
    totals, start = cal.to_buckets(daily, end=end, bucket="month")
    assert start == date(2026, 4, 1)
    assert totals.tolist() == [31.0, 28.0, 31.0]
    assert cal.daily_values([30.0, 62.0], start=start, bucket="month", day=date(2026, 4, 9)) == 1.0
    assert cal.daily_values([30.0, 62.0], start=start, bucket="month", day=date(2026, 5, 9)) == 2.0


def test_an_erp_that_sends_weekly_or_monthly_is_detected() -> None:
    end = date(2026, 6, 1)
    mondays = {end - timedelta(days=7 * k): 50.0 for k in range(1, 30)}
    assert cal.detect_bucket(daily_from(mondays, end=end, days=400), end=end)[0] == "week"
    firsts = {date(2025, m, 1): 400.0 for m in range(1, 13)}
    assert cal.detect_bucket(daily_from(firsts, end=end, days=600), end=end)[0] == "month"
    rng = np.random.default_rng(1)
    assert cal.detect_bucket(rng.poisson(5, 300).astype(float), end=end)[0] == "day"


def test_a_yearly_season_is_found_only_with_enough_history() -> None:
    air = np.asarray(AirPassengers, dtype=np.float64)
    assert cal.detect_season(air, "month")[0] == 12
    assert cal.detect_season(air[:20], "month")[0] == 1  # under two seasons
    rng = np.random.default_rng(4)
    assert cal.detect_season(rng.normal(100, 5, 120), "month")[0] == 1  # noise
    week = np.tile([30.0, 32, 35, 31, 28, 8, 0], 20) + rng.normal(0, 1, 140)
    assert cal.detect_season(week, "day")[0] == 7


def test_overrides_replace_the_model_value_of_their_bucket_only() -> None:
    start = date(2026, 3, 2)
    values = [10.0, 20.0, 30.0]
    out = cal.apply_overrides(values, start=start, bucket="week", overrides={"2026-03-09": 5.0})
    assert out == [10.0, 5.0, 30.0]
