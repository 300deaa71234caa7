"""Selection over a portfolio: all of each history is used, the ETS family (damped trend,
multiplicative season) for regular demand, the Croston family only for intermittent
demand, AICc with near-ties going to the simpler model, and an interval with each forecast."""

from __future__ import annotations

import numpy as np
import pytest
from statsforecast.utils import AirPassengers

from production.planning.forecasting import ForecastConfig, SeriesSpec, forecast_portfolio
from production.planning.forecasting.intermittent import INTERMITTENT_METHODS
from production.planning.forecasting.selection import choose_by_aicc

AIR = np.asarray(AirPassengers, dtype=np.float64)
MONTHLY = SeriesSpec("month", 12)


def test_every_bucket_of_a_history_is_used() -> None:
    """Two histories equal in their last 84 days but not in their first 16 get different
    fits: nothing is cut to a multiple of 28 to batch them."""
    rng = np.random.default_rng(5)
    tail = rng.poisson(10, 84).astype(float) + 1
    calm = np.r_[np.full(16, 10.0), tail]
    wild = np.r_[rng.choice([1.0, 60.0], 16), tail]
    first, second = forecast_portfolio([calm, wild], [SeriesSpec("day", 1)] * 2)
    assert first.history_buckets == second.history_buckets == 100
    assert first.scores != second.scores


def test_regular_demand_is_never_forecast_by_croston() -> None:
    """Lumpy but never zero: the Croston family is not even a candidate."""
    rng = np.random.default_rng(8)
    lumpy = [rng.choice([1.0, 2.0, 80.0], 200, p=[0.45, 0.45, 0.1]) for _ in range(6)]
    for result in forecast_portfolio(lumpy):
        assert result.method.startswith("ets_")
        assert not set(result.scores) & set(INTERMITTENT_METHODS)


def test_intermittent_demand_is_forecast_by_the_croston_family_on_rolling_origins() -> None:
    rng = np.random.default_rng(3)
    sparse = [(rng.random(300) < 0.15) * rng.integers(3, 9, 300) * 1.0 for _ in range(4)]
    for result in forecast_portfolio(sparse):
        assert result.method in INTERMITTENT_METHODS
        assert set(result.scores) == set(INTERMITTENT_METHODS)
        assert result.forecast[0] > 0
        assert result.intervals["95"]["lower"][0] == 0.0  # most buckets have no demand


def test_multiplicative_season_on_the_airline_series() -> None:
    (result,) = forecast_portfolio([AIR], [MONTHLY])
    assert result.method.endswith("m")  # ETS(., ., M): the season grows with the level
    assert result.method[4] == "m"  # multiplicative error
    assert len(result.forecast) == 12 and result.season_length == 12


def test_damped_trend_when_the_trend_flattens() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(120)
    level = 100 + 200 * (1 - 0.96**t)  # a trend that dies out
    series = level + rng.normal(0, 2, t.size)
    (result,) = forecast_portfolio([series], [SeriesSpec("month", 1)])
    assert result.method in ("ets_aadn", "ets_madn")
    assert max(result.forecast) < series[-1] + 10  # no straight line up


def test_near_ties_go_to_the_model_with_fewer_parameters() -> None:
    assert choose_by_aicc(np.array([100.0, 99.0, 100.5]), [3, 5, 2], 2.0) == 2
    assert choose_by_aicc(np.array([100.0, 99.0, 101.5]), [3, 5, 2], 2.0) == 0
    assert choose_by_aicc(np.array([100.0, 95.0, 101.5]), [3, 5, 2], 2.0) == 1
    assert choose_by_aicc(np.array([np.inf, 95.0]), [1, 5], 2.0) == 1


def test_intervals_cover_about_as_often_as_they_say() -> None:
    """Simple exponential smoothing data (ETS(A,N,N)): the 80 % and 95 % intervals of
    the next bucket hold the real value about that often over 400 series."""
    rng = np.random.default_rng(12)
    n, t_len, alpha = 400, 150, 0.3
    eps = rng.normal(0, 5, (n, t_len + 1))
    level = np.full(n, 200.0)
    y = np.empty((n, t_len + 1))
    for t in range(t_len + 1):
        y[:, t] = level + eps[:, t]
        level = level + alpha * eps[:, t]
    results = forecast_portfolio(list(y[:, :t_len]), [SeriesSpec("day", 1)] * n)
    actual = y[:, t_len]
    for level_name, expected in (("80", 0.80), ("95", 0.95)):
        low = np.array([r.intervals[level_name]["lower"][0] for r in results])
        high = np.array([r.intervals[level_name]["upper"][0] for r in results])
        coverage = float(((low <= actual) & (actual <= high)).mean())
        assert abs(coverage - expected) < 0.05, (level_name, coverage)


def test_short_or_missing_history_falls_back_and_says_so() -> None:
    config = ForecastConfig()
    short, empty = forecast_portfolio([np.array([4.0, 6.0, 5.0]), np.array([])], None, config)
    assert short.method == "history_mean"
    assert short.forecast[0] == 5.0
    assert "Only 3 days" in short.fallback_reason
    assert str(config.min_history) in short.fallback_reason
    assert short.intervals["95"]["lower"][0] < 5.0 < short.intervals["95"]["upper"][0]
    assert empty.method == "zero"
    assert empty.forecast == [0.0] * config.horizon("day")
    assert "No demand history" in empty.fallback_reason


@pytest.mark.parametrize("bucket,horizon", [("day", 56), ("week", 26), ("month", 12)])
def test_each_bucket_has_its_horizon(bucket: str, horizon: int) -> None:
    rng = np.random.default_rng(2)
    (result,) = forecast_portfolio([rng.poisson(30, 60) + 1.0], [SeriesSpec(bucket, 1)])
    assert len(result.forecast) == horizon and result.bucket == bucket
