"""Rolling-origin backtest and selection: the right method wins, scores are kept, fallbacks say so."""

from __future__ import annotations

import numpy as np

from production.planning.forecasting import METHODS, ForecastConfig, forecast_portfolio


def test_each_series_gets_the_method_that_fits_it_and_all_scores() -> None:
    rng = np.random.default_rng(11)
    days = 365
    weekly = np.tile([30.0, 32, 35, 31, 28, 8, 0], days // 7 + 1)[:days]
    intermittent = (rng.random(days) < 0.1) * rng.integers(5, 9, days)
    trending = 20 + 0.2 * np.arange(days) + rng.normal(0, 0.3, days)
    results = forecast_portfolio([weekly, intermittent.astype(float), trending])
    assert results[0].method in ("seasonal_naive", "holt_winters")
    assert results[0].scores["seasonal_naive"]["mase"] < 1e-9
    assert results[2].method == "holt"
    assert results[2].forecast[0] > trending[-7:].mean()
    for result in results:
        assert set(result.scores) == set(METHODS)
        assert not result.fallback_reason
        assert len(result.forecast) == ForecastConfig().forecast_horizon
        assert min(result.forecast) >= 0
    assert results[2].sigma_daily < 2


def test_short_or_missing_history_falls_back_and_says_so() -> None:
    config = ForecastConfig()
    short, empty = forecast_portfolio([np.array([4.0, 6.0, 5.0]), np.array([])], config)
    assert short.method == "history_mean"
    assert short.forecast[0] == 5.0
    assert "Only 3 days" in short.fallback_reason
    assert str(config.min_history) in short.fallback_reason
    assert empty.method == "zero"
    assert empty.forecast == [0.0] * config.forecast_horizon
    assert "No demand history" in empty.fallback_reason


def test_series_of_different_lengths_are_forecast_together() -> None:
    rng = np.random.default_rng(5)
    histories = [rng.poisson(10, n).astype(float) for n in (730, 800, 200, 90)]
    results = forecast_portfolio(histories)
    assert [r.history_days for r in results] == [730, 730, 200, 90]
    for result in results:
        assert 7 < result.forecast[0] < 13


def test_backtest_mase_equals_utilsforecast_mase() -> None:
    """Our MASE of a window is utilsforecast's (seasonal scale, same training days)."""
    import pandas as pd
    from utilsforecast.losses import mase

    from production.planning.forecasting import select

    rng = np.random.default_rng(4)
    y = rng.poisson(10, (3, 120)).astype(float)
    config = ForecastConfig(windows=1, horizon=14, methods=("naive",))
    ours = select(y, config).mase[0]
    origin = 120 - 14
    train = pd.DataFrame(
        {
            "unique_id": np.repeat([0, 1, 2], origin),
            "ds": np.tile(np.arange(origin), 3),
            "y": y[:, :origin].ravel(),
        }
    )
    test = pd.DataFrame(
        {
            "unique_id": np.repeat([0, 1, 2], 14),
            "ds": np.tile(np.arange(origin, 120), 3),
            "y": y[:, origin:].ravel(),
            "naive": np.repeat(y[:, origin - 1], 14),
        }
    )
    expected = mase(test, models=["naive"], seasonality=7, train_df=train)
    np.testing.assert_allclose(ours, expected.sort_values("unique_id")["naive"].to_numpy())
