"""Forecast accuracy against the standard methods on public series, and the portfolio's speed.

Part 1, the bar: standard monthly retail and production series that ship inside installed
packages (nothing is downloaded at run time):

* AirPassengers, monthly airline passengers 1949-1960 (statsforecast.utils)
* wineind, monthly Australian wine sales by winemakers 1980-1994 (pmdarima.datasets)
* elec_equip, monthly electrical equipment manufacturing orders index 1995-2016
  (statsmodels.datasets)

and two quarterly production series, reported apart (season 4, 8 quarters ahead): ausbeer
(Australian beer production) and woolyrnq (woollen yarn production), both pmdarima.

Protocol, identical for the three contenders: 5 rolling origins, the last one 12 buckets
before the end (each origin 12 buckets after the previous one); at each origin a fit on
everything before it and a forecast 12 buckets ahead; MASE = mean absolute error over those
12 / in-sample mean absolute error of the seasonal naive on the training part; the series'
score is the mean over the 5 origins. CPU time (process time) per series is the mean over
the origins of one fit and forecast.

* pullboard: `forecast_portfolio` as the nightly refresh runs it (ETS family by AICc,
  near-ties to the simpler model), season 12 (4 for quarters);
* statsmodels Holt-Winters by AICc: ExponentialSmoothing with every trend (none, additive,
  additive damped) and season (none, additive, multiplicative), the lowest `aicc` kept;
* statsforecast AutoETS(season_length=12).

Part 2, speed of the nightly portfolio: N products x 730 days of the demo history
(production.demo_history), daily buckets and weekly season, seconds end to end.

    .venv/bin/python bench/bench_forecast.py [--origins 5] [--portfolio 2000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("NIXTLA_ID_AS_COL", "1")
warnings.filterwarnings("ignore")

from production.planning.forecasting import SeriesSpec, forecast_portfolio  # noqa: E402

Forecaster = Callable[[np.ndarray, int, int], np.ndarray]


def monthly_series() -> dict[str, np.ndarray]:
    import pmdarima.datasets as pm
    import statsmodels.datasets.elec_equip as elec
    from statsforecast.utils import AirPassengers

    return {
        "AirPassengers": np.asarray(AirPassengers, dtype=np.float64),
        "wineind": np.asarray(pm.load_wineind(), dtype=np.float64),
        "elec_equip": elec.load().data.iloc[:, 0].to_numpy(np.float64),
    }


def quarterly_series() -> dict[str, np.ndarray]:
    import pmdarima.datasets as pm

    beer = np.asarray(pm.load_ausbeer(), dtype=np.float64)
    return {
        "ausbeer": beer[np.isfinite(beer)],
        "woolyrnq": np.asarray(pm.load_woolyrnq(), dtype=np.float64),
    }


def pullboard(train: np.ndarray, horizon: int, season: int) -> np.ndarray:
    bucket = "month"
    (result,) = forecast_portfolio([train], [SeriesSpec(bucket, season)])
    return np.asarray(result.forecast[:horizon])


def statsmodels_hw_aicc(train: np.ndarray, horizon: int, season: int) -> np.ndarray:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    best = None
    for trend, damped in ((None, False), ("add", False), ("add", True)):
        for seasonal in (None, "add", "mul"):
            if seasonal == "mul" and train.min() <= 0:
                continue
            try:
                fit = ExponentialSmoothing(
                    train,
                    trend=trend,
                    damped_trend=damped,
                    seasonal=seasonal,
                    seasonal_periods=season if seasonal else None,
                ).fit()
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(fit.aicc) and (best is None or fit.aicc < best.aicc):
                best = fit
    assert best is not None
    return np.maximum(np.asarray(best.forecast(horizon)), 0.0)


def statsforecast_autoets(train: np.ndarray, horizon: int, season: int) -> np.ndarray:
    from statsforecast.models import AutoETS

    return np.maximum(AutoETS(season_length=season).fit(train).predict(horizon)["mean"], 0.0)


CONTENDERS: dict[str, Forecaster] = {
    "pullboard": pullboard,
    "statsmodels HW (AICc)": statsmodels_hw_aicc,
    "statsforecast AutoETS": statsforecast_autoets,
}


def score(
    y: np.ndarray, forecaster: Forecaster, *, horizon: int, season: int, origins: int
) -> tuple[float, float]:
    """Mean MASE over the rolling origins, and CPU seconds per fit and forecast."""
    mases, cpu = [], 0.0
    for w in range(origins):
        end = len(y) - horizon - (origins - 1 - w) * horizon
        train, test = y[:end], y[end : end + horizon]
        started = time.process_time()
        forecast = forecaster(train, horizon, season)
        cpu += time.process_time() - started
        scale = np.abs(train[season:] - train[:-season]).mean()
        mases.append(float(np.abs(forecast - test).mean() / scale))
    return float(np.mean(mases)), cpu / origins


def bar(
    title: str, series: dict[str, np.ndarray], *, horizon: int, season: int, origins: int
) -> bool:
    print(f"\n## {title}: {origins} rolling origins, {horizon} ahead, season {season}")
    names = list(CONTENDERS)
    print(f"{'series':<15}{'n':>5}" + "".join(f"{n:>24}" for n in names) + "   ratio vs sm / sf")
    table = {}
    for label, y in series.items():
        table[label] = {
            name: score(y, fn, horizon=horizon, season=season, origins=origins)
            for name, fn in CONTENDERS.items()
        }
        row = table[label]
        cells = "".join(f"{row[n][0]:>12.4f} ({row[n][1]:>6.3f} s)" for n in names)
        ours = row["pullboard"][0]
        ratios = [ours / row[n][0] for n in names[1:]]
        print(f"{label:<15}{len(y):>5}{cells}   " + " / ".join(f"{r:.3f}" for r in ratios))
    means = {n: float(np.mean([table[s][n][0] for s in table])) for n in names}
    cpu = {n: float(np.mean([table[s][n][1] for s in table])) for n in names}
    print(
        f"{'mean':<20}"
        + "".join(f"{means[n]:>12.4f} ({cpu[n]:>6.3f} s)" for n in names)
        + "   (MASE, CPU s per series)"
    )
    within = all(
        table[s]["pullboard"][0] <= 1.05 * table[s][n][0] for s in table for n in names[1:]
    )
    better = all(means["pullboard"] < means[n] for n in names[1:])
    print(f"every series within 5% of both: {'yes' if within else 'NO'}")
    print(f"better than both on average: {'yes' if better else 'NO'}")
    return within and better


def portfolio_speed(products: int) -> None:
    from production.demo_history import DemandProfile, daily_demand

    rng = np.random.default_rng(2026)
    rows = []
    for i in range(products):
        profile = DemandProfile(
            base_per_day=float(rng.uniform(1, 60)),
            trend_per_year=float(rng.normal(0, 0.25)),
            dispersion=float(rng.uniform(2, 12)),
        )
        rows.append(daily_demand(profile, days=730, first_weekday=0, seed=2026 + i).quantities)
    histories = [np.asarray(r, dtype=np.float64) for r in rows]
    print(f"\n## Nightly portfolio: {products} products x 730 days (demo history), daily")
    started, cpu = time.perf_counter(), time.process_time()
    results = forecast_portfolio(histories)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    kinds: dict[str, int] = {}
    for r in results:
        kinds[r.method] = kinds.get(r.method, 0) + 1
    print(f"{wall:.1f} s wall, {cpu:.1f} s CPU; methods kept: {dict(sorted(kinds.items()))}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--origins", type=int, default=5)
    parser.add_argument("--portfolio", type=int, default=0, help="products (0: skip)")
    args = parser.parse_args()
    print(
        "load average:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    )
    statsforecast_autoets(np.arange(1.0, 40.0), 2, 4)  # numba compiles outside the timings
    ok = bar(
        "Monthly retail and production",
        monthly_series(),
        horizon=12,
        season=12,
        origins=args.origins,
    )
    bar(
        "Quarterly production (reported apart)",
        quarterly_series(),
        horizon=8,
        season=4,
        origins=args.origins,
    )
    if args.portfolio:
        portfolio_speed(args.portfolio)
    print(
        "load average:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    )
    print(f"\nbar on the monthly series: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
