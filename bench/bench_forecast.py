"""Forecast and backtest N products x 730 days: Pullboard's vectorised portfolio against
statsforecast and a statsmodels loop fitting the same methods, in the same run.

Prints seconds end to end and the accuracy (mean MASE on a hidden final block) of each:
on the demo history (production.demo_history), on the airline passengers series that
ships in statsforecast, and on generated intermittent series (the PBS series do not ship
in any installed package, so a fixed-seed intermittent set stands in; said in the output).

Protocol, identical for every contender: the last HOLDOUT days of each series are hidden;
on the rest, a rolling-origin backtest (3 windows of 14 days, parameters re-estimated at
each origin) scores the seven methods, the lowest MASE per series is kept and forecasts
the hidden block, whose MASE (scaled by the in-sample seasonal-naive error) is reported.

statsforecast and statsmodels are much slower, so they run on a sample of the products
(--sf-sample, --sm-sample) and their time is scaled to all products (stated in the output);
accuracy is compared on the same sample. numba (statsforecast) is compiled on a warm-up
call outside the timed section.

    .venv/bin/python bench/bench_forecast.py [--products 1000] [--sf-sample 20] [--sm-sample 3] [--intermittent 60]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("NIXTLA_ID_AS_COL", "1")
warnings.filterwarnings("ignore")

from production.demo_history import DemandProfile, daily_demand  # noqa: E402
from production.planning.forecasting import ForecastConfig, select  # noqa: E402
from production.planning.forecasting import methods as m  # noqa: E402
from production.planning.forecasting.selection import mase_scale  # noqa: E402

SF_NAMES = {
    "Naive": "naive",
    "SeasonalNaive": "seasonal_naive",
    "WindowAverage": "moving_average",
    "SESOpt": "ses",
    "Holt": "holt",
    "HoltWinters": "holt_winters",
    "CrostonSBA": "croston_sba",
}


def demo_history(n: int, days: int, seed: int = 2026) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        profile = DemandProfile(
            base_per_day=float(rng.uniform(1, 60)),
            trend_per_year=float(rng.normal(0, 0.25)),
            dispersion=float(rng.uniform(2, 12)),
        )
        rows.append(daily_demand(profile, days=days, first_weekday=0, seed=seed + i).quantities)
    return np.asarray(rows, dtype=np.float64)


def intermittent(n: int, days: int, seed: int = 42) -> np.ndarray:
    rng = np.random.default_rng(seed)
    occurs = rng.random((n, days)) < rng.uniform(0.05, 0.35, (n, 1))
    sizes = rng.poisson(rng.uniform(1, 10, (n, 1)), (n, days)) + 1
    return (occurs * sizes).astype(np.float64)


def holdout_mase(
    train: np.ndarray, test: np.ndarray, forecast: np.ndarray, season: int
) -> np.ndarray:
    scale = mase_scale(train, train.shape[1], season)
    return np.abs(forecast - test).mean(axis=1) / scale


def run_ours(y: np.ndarray, holdout: int, config: ForecastConfig) -> tuple[float, np.ndarray]:
    train, test = y[:, :-holdout], y[:, -holdout:]
    started = time.perf_counter()
    sel = select(train, config)
    seconds = time.perf_counter() - started
    return seconds, holdout_mase(train, test, sel.forecast[:, :holdout], config.season)


def sf_models(season: int, window: int) -> list[object]:
    from statsforecast.models import (
        CrostonSBA,
        Holt,
        HoltWinters,
        Naive,
        SeasonalNaive,
        SimpleExponentialSmoothingOptimized,
        WindowAverage,
    )

    return [
        Naive(),
        SeasonalNaive(season_length=season),
        WindowAverage(window_size=window),
        SimpleExponentialSmoothingOptimized(alias="SESOpt"),
        Holt(season_length=season),
        HoltWinters(season_length=season),
        CrostonSBA(),
    ]


def long_frame(y: np.ndarray) -> pd.DataFrame:
    n, t_len = y.shape
    return pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(n), t_len),
            "ds": np.tile(np.arange(1, t_len + 1), n),
            "y": y.ravel(),
        }
    )


def run_statsforecast(
    y: np.ndarray, holdout: int, config: ForecastConfig
) -> tuple[float, np.ndarray]:
    from statsforecast import StatsForecast

    train, test = y[:, :-holdout], y[:, -holdout:]
    n = train.shape[0]
    sf = StatsForecast(
        models=sf_models(config.season, config.moving_average_window), freq=1, n_jobs=1
    )
    sf.forecast(df=long_frame(train[:1, -120:]), h=2)  # numba warm-up, not timed
    started = time.perf_counter()
    df = long_frame(train)
    cv = sf.cross_validation(
        df=df, h=config.horizon, n_windows=config.windows, step_size=config.horizon
    )
    final = sf.forecast(df=df, h=holdout)
    seconds = time.perf_counter() - started
    cols = list(SF_NAMES)
    cv = cv.sort_values(["unique_id", "cutoff", "ds"])
    origins = sorted(cv["cutoff"].unique())
    scores = np.zeros((len(cols), n))
    for cutoff in origins:
        block = cv[cv["cutoff"] == cutoff]
        actual = block["y"].to_numpy().reshape(n, config.horizon)
        scale = mase_scale(train, int(cutoff), config.season)
        for i, col in enumerate(cols):
            fc = block[col].to_numpy().reshape(n, config.horizon)
            scores[i] += np.abs(fc - actual).mean(axis=1) / scale / len(origins)
    chosen = np.where(np.isfinite(scores), scores, np.inf).argmin(axis=0)
    final = final.sort_values(["unique_id", "ds"])
    fcs = np.stack([final[c].to_numpy().reshape(n, holdout) for c in cols])
    picked = fcs[chosen, np.arange(n)]
    return seconds, holdout_mase(train, test, picked, config.season)


def run_statsmodels(
    y: np.ndarray, holdout: int, config: ForecastConfig
) -> tuple[float, np.ndarray]:
    """One series and one origin at a time: statsmodels' ExponentialSmoothing for SES, Holt
    and Holt-Winters; the four simple methods are a line of numpy each."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    train, test = y[:, :-holdout], y[:, -holdout:]
    n, t_len = train.shape
    h = config.horizon
    origins = [t_len - h * (config.windows - w) for w in range(config.windows)]
    s = config.season

    def all_methods(past: np.ndarray, steps: int) -> list[np.ndarray]:
        row = past[None, :]
        out = [
            m.naive(row, steps)[0],
            m.seasonal_naive(row, steps, s)[0],
            m.moving_average(row, steps, config.moving_average_window)[0],
        ]
        for trend, seasonal in ((None, None), ("add", None), ("add", "add")):
            model = ExponentialSmoothing(
                past, trend=trend, seasonal=seasonal, seasonal_periods=s if seasonal else None
            )
            out.append(np.asarray(model.fit().forecast(steps)))
        out.append(m.croston_sba(row, steps)[0])
        return [np.maximum(f, 0.0) for f in out]

    started = time.perf_counter()
    mase = np.zeros(n)
    for i in range(n):
        scores = np.zeros(7)
        for origin in origins:
            fcs = all_methods(train[i, :origin], h)
            scale = mase_scale(train[i : i + 1], origin, s)[0]
            actual = train[i, origin : origin + h]
            scores += np.array([np.abs(f - actual).mean() / scale for f in fcs])
        best = int(np.argmin(np.where(np.isfinite(scores), scores, np.inf)))
        fc = all_methods(train[i], holdout)[best]
        mase[i] = holdout_mase(train[i : i + 1], test[i : i + 1], fc[None, :], s)[0]
    return time.perf_counter() - started, mase


def report(
    title: str,
    y: np.ndarray,
    holdout: int,
    config: ForecastConfig,
    args: argparse.Namespace,
    sf_sample: int | None = None,
) -> None:
    n = y.shape[0]
    print(f"\n## {title}: {n} series x {y.shape[1]} points, holdout {holdout}")
    ours_s, ours_mase = run_ours(y, holdout, config)
    sf_n = min(sf_sample or args.sf_sample, n)
    sm_n = min(args.sm_sample, n)
    sample = np.random.default_rng(0).choice(n, size=max(sf_n, sm_n), replace=False)
    sf_s, sf_mase = run_statsforecast(y[sample[:sf_n]], holdout, config)
    sm_s, sm_mase = run_statsmodels(y[sample[:sm_n]], holdout, config)
    sf_all = sf_s / sf_n * n
    sm_all = sm_s / sm_n * n
    print(f"{'contender':<28}{'seconds (all series)':>22}{'mean MASE':>12}{'on sample':>12}")
    print(
        f"{'pullboard (numpy, batched)':<28}{ours_s:>22.2f}{ours_mase.mean():>12.4f}"
        f"{ours_mase[sample[:sf_n]].mean():>12.4f}"
    )
    print(f"{'statsforecast (n_jobs=1)':<28}{sf_all:>21.1f}*{'-':>12}{sf_mase.mean():>12.4f}")
    print(
        f"{'statsmodels loop':<28}{sm_all:>21.1f}*{'-':>12}{sm_mase.mean():>12.4f}"
        f"   (its sample: pullboard {ours_mase[sample[:sm_n]].mean():.4f})"
    )
    print(
        f"* measured on {sf_n} (statsforecast) / {sm_n} (statsmodels) series: "
        f"{sf_s:.1f} s / {sm_s:.1f} s, scaled to {n}"
    )
    print(
        f"speed-up vs statsforecast: {sf_all / ours_s:.1f}x; vs statsmodels: {sm_all / ours_s:.1f}x"
    )
    ratio = ours_mase[sample[:sf_n]].mean() / sf_mase.mean()
    print(f"MASE ratio pullboard / statsforecast on the same sample: {ratio:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--sf-sample", type=int, default=20)
    parser.add_argument("--sm-sample", type=int, default=3)
    parser.add_argument("--intermittent", type=int, default=60, help="generated series")
    args = parser.parse_args()

    daily = ForecastConfig(forecast_horizon=28)
    report(
        "Demo history (production.demo_history)",
        demo_history(args.products, args.days),
        28,
        daily,
        args,
    )

    from statsforecast.utils import AirPassengers

    monthly = ForecastConfig(
        horizon=12, windows=2, season=12, moving_average_window=12, forecast_horizon=12
    )
    air = np.asarray(AirPassengers, dtype=np.float64)[None, :]
    report("Airline passengers (statsforecast.utils.AirPassengers)", air, 12, monthly, args)

    print(
        "\nThe PBS intermittent series ship in no installed package: generated intermittent "
        "series (seed 42) stand in."
    )
    # statsforecast is quick on short intermittent series: it sees all of them.
    series = intermittent(args.intermittent, 400)
    report("Intermittent, generated", series, 28, daily, args, sf_sample=args.intermittent)


if __name__ == "__main__":
    main()
