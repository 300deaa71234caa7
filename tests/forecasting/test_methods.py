"""Forecast methods: known answers on synthetic series, and agreement with statsmodels
and statsforecast on public series.

* same parameters and initial states: the ETS recursions' fitted values equal statsmodels'
  ExponentialSmoothing (every trend and season, damped included) to 1e-9 relative;
* estimated by maximum likelihood: ETS(M,A,M)'s residual sigma on the airline series is
  within 5 % of statsforecast's fit of the same model;
* naive, seasonal naive, window average, SES and Croston SBA equal statsforecast to 1e-9;
  TSB follows its definition (size on demand buckets, probability every bucket).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from statsforecast import StatsForecast
from statsforecast.models import CrostonSBA, Naive, SeasonalNaive, WindowAverage
from statsforecast.utils import AirPassengers
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from production.planning.forecasting import ets_fit as ef
from production.planning.forecasting import ets_models as em
from production.planning.forecasting import intermittent as im
from production.planning.forecasting import methods as m

AIR = np.asarray(AirPassengers, dtype=np.float64)


def intermittent(n_series: int = 6, days: int = 200, seed: int = 7) -> np.ndarray:
    """Generated intermittent demand (the PBS series do not ship in an installed package)."""
    rng = np.random.default_rng(seed)
    occurs = rng.random((n_series, days)) < rng.uniform(0.08, 0.4, (n_series, 1))
    sizes = rng.poisson(rng.uniform(2, 12, (n_series, 1)), (n_series, days)) + 1
    return (occurs * sizes).astype(np.float64)


def statsmodels_fit(y: np.ndarray, model: em.EtsModel, m: int, p: dict[str, float]):  # type: ignore[no-untyped-def]
    """statsmodels' ExponentialSmoothing with our initial states and parameters.

    Its smoothing_trend is beta / alpha in our (Hyndman's) error-correction form."""
    season = {"N": None, "A": "add", "M": "mul"}[model.season]
    trend = None if model.trend == "N" else "add"
    level, slope, seas = ef.initial_states(y[None, :], m, model.season, model.trend[:1])
    kwargs: dict[str, object] = {
        "trend": trend,
        "damped_trend": model.trend == "Ad",
        "seasonal": season,
        "seasonal_periods": m if season else None,
        "initialization_method": "known",
        "initial_level": level[0],
    }
    if trend:
        kwargs["initial_trend"] = slope[0]
    if season:
        kwargs["initial_seasonal"] = seas[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ExponentialSmoothing(y, **kwargs).fit(
            smoothing_level=p["alpha"],
            smoothing_trend=p["beta"] / p["alpha"] if trend else None,
            smoothing_seasonal=p["gamma"] if season else None,
            damping_trend=p["phi"] if model.trend == "Ad" else None,
            optimized=False,
        )
    return fit, (level, slope, seas)


@pytest.mark.parametrize("code", ["ANN", "AAN", "AAdN", "ANA", "AAA", "AAdA", "MNM", "MAM", "MAdM"])
def test_fixed_parameters_reproduce_statsmodels_exactly(code: str) -> None:
    """The shared recursions are statsmodels' Holt-Winters for every trend and season."""
    model = em.EtsModel(code[0], code[1:-1], code[-1])
    p = {"alpha": 0.35, "beta": 0.05, "gamma": 0.2, "phi": 0.9}
    fit, (level, slope, seas) = statsmodels_fit(AIR, model, 12, p)
    rows = em.Rows(
        series=np.array([0]),
        alpha=np.array([p["alpha"]]),
        beta=np.array([p["beta"] if model.trend != "N" else 0.0]),
        gamma=np.array([p["gamma"] if model.season != "N" else 0.0]),
        phi=np.array([{"N": 0.0, "A": 1.0, "Ad": p["phi"]}[model.trend]]),
        mult_season=np.array([model.season == "M"]),
        mult_error=np.array([model.error == "M"]),
        level0=level,
        trend0=slope if model.trend != "N" else np.zeros(1),
        season0=seas if model.season != "N" else np.zeros((1, 12)),
    )
    _, fitted, _, _ = em.run(np.ascontiguousarray(AIR[:, None]), rows, want_fitted=True)
    assert fitted is not None
    np.testing.assert_allclose(fitted[0], fit.fittedvalues, rtol=1e-9, atol=1e-7)
    if model.season == "N":
        mean, *_ = em.forecast(AIR[None, :], rows, 12)
        np.testing.assert_allclose(mean[0], fit.forecast(12), rtol=1e-9)


def test_estimation_is_per_series_when_fitted_together() -> None:
    """A batch of series gives each the parameters it would get alone."""
    rng = np.random.default_rng(3)
    batch = np.stack([AIR, AIR[::-1].copy(), AIR + rng.normal(0, 20, AIR.size)])
    models = em.candidate_models(seasonal=True, positive=True)
    together = ef.fit_models(batch, models, 12)
    k = len(models)
    for i in range(3):
        alone = ef.fit_models(batch[i : i + 1], models, 12)
        np.testing.assert_allclose(together.aicc[i * k : (i + 1) * k], alone.aicc)


def test_maximum_likelihood_reaches_statsforecast_on_the_same_model() -> None:
    """Our fitted ETS(M,A,M) of the airline series is as likely as AutoETS's own fit of
    that model: its residual sigma is no worse than 5 % above statsforecast's."""
    from statsforecast.models import AutoETS

    models = [em.EtsModel("M", "A", "M")]
    fit = ef.fit_models(AIR[None, :], models, 12)
    _, _, _, sigma = em.forecast(AIR[None, :], fit.rows, 12)
    theirs = AutoETS(season_length=12, model="MAM").fit(AIR).model_
    assert sigma[0] <= 1.05 * float(np.sqrt(theirs["sigma2"]))


def statsforecast_means(y: np.ndarray, models: list[object], h: int) -> pd.DataFrame:
    n, t_len = y.shape
    df = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(n), t_len),
            "ds": np.tile(np.arange(1, t_len + 1), n),
            "y": y.ravel(),
        }
    )
    out = StatsForecast(models=models, freq=1, n_jobs=1).forecast(df=df, h=h)
    return out.sort_values(["unique_id", "ds"])


def test_simple_methods_and_croston_sba_equal_statsforecast() -> None:
    y = np.vstack([intermittent(), AIR[-120:][None, :] + np.zeros((1, 200))[:, :120]][:1])
    y = np.vstack([y, np.tile(AIR[:100], 2)[None, :200]])
    h = 10
    expected = statsforecast_means(
        y, [Naive(), SeasonalNaive(season_length=7), WindowAverage(window_size=28), CrostonSBA()], h
    )
    ours = {
        "Naive": m.naive(y, h),
        "SeasonalNaive": m.seasonal_naive(y, h, 7),
        "WindowAverage": m.moving_average(y, h, 28),
        "CrostonSBA": m.croston_sba(y, h),
    }
    for column, values in ours.items():
        np.testing.assert_allclose(
            values.ravel(), expected[column].to_numpy(), rtol=1e-9, atol=1e-9, err_msg=column
        )


def test_known_answers_on_synthetic_series() -> None:
    week = np.array([10.0, 12, 14, 9, 8, 3, 0])
    weekly = np.tile(week, 20)[None, :]
    assert m.seasonal_naive(weekly, 9, 7)[0].tolist() == [*week, *week[:2]]

    flat = np.full((1, 100), 5.0) + np.tile([0.0, 1e-6], 50)  # flat (all but noise-free)
    models = em.candidate_models(seasonal=True, positive=True)
    fit = ef.fit_models(flat, models, 7)
    mean, *_ = em.forecast(flat, fit.rows, 7)
    np.testing.assert_allclose(mean, 5.0, atol=1e-3)

    line = (3.0 + 0.5 * np.arange(100))[None, :]
    holt = [em.EtsModel("A", "A", "N")]
    mean, *_ = em.forecast(line, ef.fit_models(line, holt, 1).rows, 5)
    np.testing.assert_allclose(mean[0], 3.0 + 0.5 * np.arange(100, 105), atol=0.01)

    # Demand of 6 every 3rd day: size 6, interval 3, SBA rate 0.95 x 2.
    every_third = np.tile([0.0, 0.0, 6.0], 30)[None, :]
    assert m.croston_sba(every_third, 3)[0] == pytest.approx([1.9, 1.9, 1.9])
    assert m.croston_sba(np.zeros((1, 30)), 2)[0].tolist() == [0.0, 0.0]


def test_ses_with_statsforecast_start_equals_statsforecast_ses() -> None:
    """statsforecast starts SES at the first observation; given that start, ours is identical."""
    from statsforecast.models import SimpleExponentialSmoothing

    y = np.vstack([intermittent()[:3], np.tile(AIR[:100], 2)[None, :200]])
    expected = statsforecast_means(y, [SimpleExponentialSmoothing(alpha=0.3)], 5)
    n = y.shape[0]
    zeros = np.zeros(n)
    rows = em.Rows(
        series=np.arange(n),
        alpha=np.full(n, 0.3),
        beta=zeros,
        gamma=zeros,
        phi=zeros,
        mult_season=zeros.astype(bool),
        mult_error=zeros.astype(bool),
        level0=y[:, 0].copy(),
        trend0=zeros,
        season0=np.zeros((n, 1)),
    )
    mean, *_ = em.forecast(y, rows, 5)
    np.testing.assert_allclose(mean.ravel(), expected["SES"].to_numpy(), rtol=1e-9)


def test_tsb_by_its_definition_and_fading_when_demand_stops() -> None:
    y = np.array([[0.0, 4.0, 0.0, 0.0, 8.0, 0.0]])
    d, z = np.nan, np.nan
    for value in y[0]:
        if value > 0:
            z = value if np.isnan(z) else z + 0.1 * (value - z)
            d = 1.0 if np.isnan(d) else d + 0.1 * (1 - d)
        elif not np.isnan(d):
            d = d + 0.1 * (0 - d)
    assert im.tsb_rates(y)[0, -1] == pytest.approx(d * z)
    stopped = np.r_[np.tile([0.0, 5.0], 20), np.zeros(30)][None, :]
    rates = im.tsb_rates(stopped)[0]
    assert rates[-1] < 0.1 * rates[39]  # TSB fades; Croston would stay where it was
    assert im.rates(stopped, "croston")[0, -1] == pytest.approx(im.rates(stopped, "croston")[0, 39])
