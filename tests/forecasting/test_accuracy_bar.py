"""The bar, on a fast subset of bench/bench_forecast.py: on public monthly series that ship
in installed packages, the automatic choice is within 5 % of statsmodels' Holt-Winters
chosen by AICc and of statsforecast's AutoETS on every series, and better on average
(MASE scaled by the in-sample seasonal naive, 12 months ahead, rolling origins)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from production.planning.forecasting import SeriesSpec, forecast_portfolio

HORIZON, SEASON, ORIGINS = 12, 12, 5  # the benchmark's protocol, on two of its series


def series() -> dict[str, np.ndarray]:
    import statsmodels.datasets.elec_equip as elec
    from statsforecast.utils import AirPassengers

    return {
        "AirPassengers": np.asarray(AirPassengers, dtype=np.float64),
        "elec_equip": elec.load().data.iloc[:, 0].to_numpy(np.float64),
    }


def pullboard(train: np.ndarray) -> np.ndarray:
    (result,) = forecast_portfolio([train], [SeriesSpec("month", SEASON)])
    return np.asarray(result.forecast[:HORIZON])


def holt_winters_by_aicc(train: np.ndarray) -> np.ndarray:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    fits = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for trend, damped in ((None, False), ("add", False), ("add", True)):
            for seasonal in (None, "add", "mul"):
                model = ExponentialSmoothing(
                    train,
                    trend=trend,
                    damped_trend=damped,
                    seasonal=seasonal,
                    seasonal_periods=SEASON if seasonal else None,
                )
                fits.append(model.fit())
    best = min((f for f in fits if np.isfinite(f.aicc)), key=lambda f: f.aicc)
    return np.asarray(best.forecast(HORIZON))


def auto_ets(train: np.ndarray) -> np.ndarray:
    from statsforecast.models import AutoETS

    return np.asarray(AutoETS(season_length=SEASON).fit(train).predict(HORIZON)["mean"])


def mase(y: np.ndarray, method) -> float:  # type: ignore[no-untyped-def]
    scores = []
    for w in range(ORIGINS):
        end = len(y) - HORIZON - (ORIGINS - 1 - w) * HORIZON
        train, test = y[:end], y[end : end + HORIZON]
        scale = np.abs(train[SEASON:] - train[:-SEASON]).mean()
        scores.append(np.abs(np.maximum(method(train), 0) - test).mean() / scale)
    return float(np.mean(scores))


@pytest.mark.timeout(600)
def test_the_automatic_choice_meets_the_bar_against_statsmodels_and_statsforecast() -> None:
    table = {
        name: {
            "ours": mase(y, pullboard),
            "hw": mase(y, holt_winters_by_aicc),
            "ets": mase(y, auto_ets),
        }
        for name, y in series().items()
    }
    for name, row in table.items():
        assert row["ours"] <= 1.05 * row["hw"], (name, row)
        assert row["ours"] <= 1.05 * row["ets"], (name, row)
    for rival in ("hw", "ets"):
        assert np.mean([r["ours"] for r in table.values()]) < np.mean(
            [r[rival] for r in table.values()]
        ), table
