"""Per-series method selection over a portfolio of bucketed series. No Django.

Each series comes with its calendar (bucket and season length, see ``calendar``) and is
used whole, up to ``max_history`` buckets: series of equal length, season and kind are
fitted together as one 2-D array, and nothing is cut to batch them.

* A series that is intermittent (zero buckets, average interval between demands over
  1.32) is forecast by the Croston family only: Croston, SBA and TSB are scored on
  ``backtest_windows`` rolling origins (MAE scaled by the in-sample seasonal naive, the
  MASE) and the lowest wins; a tie goes to the simpler method.
* Every other series is forecast by the ETS family (``ets_models``): additive or
  multiplicative error, no, additive or damped trend, no, additive or multiplicative
  season (multiplicative parts only for positive data, a season only with two full
  seasons of history), all fitted by maximum likelihood. The choice is by AICc: among the
  models within ``tie_margin`` (2) of the lowest AICc, the one with the fewest
  parameters (then the lowest AICc) is kept, so a near-tie never flips to a more
  complex model.

Every forecast comes with 80 % and 95 % prediction intervals; values are clipped at
zero (demand is never negative).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from production.planning.forecasting import ets_fit as ef
from production.planning.forecasting import ets_models as em
from production.planning.forecasting import intermittent as im
from production.planning.forecasting.calendar import NOMINAL_DAYS

Array = NDArray[np.float64]

ETS_MODELS = em.candidate_models(seasonal=True, positive=True)
METHODS: tuple[str, ...] = (*(model.name for model in ETS_MODELS), *im.INTERMITTENT_METHODS)
METHOD_LABELS: dict[str, str] = {
    **{model.name: model.code for model in ETS_MODELS},
    "croston_sba": "Croston (SBA)",
    "croston": "Croston",
    "tsb": "TSB (Teunter-Syntetos-Babai)",
    "history_mean": "Mean of the short history (fallback)",
    "zero": "Zero (no history, fallback)",
    # methods of forecasts stored before the ETS family
    "naive": "Naive",
    "seasonal_naive": "Seasonal naive",
    "moving_average": "Moving average",
    "ses": "Simple exponential smoothing",
    "holt": "Holt (trend)",
    "holt_winters": "Holt-Winters (additive)",
}
LEVELS = (80, 95)


def _horizons() -> dict[str, int]:
    return {"day": 56, "week": 26, "month": 12}


def _max_history() -> dict[str, int]:
    return {"day": 730, "week": 520, "month": 300}


@dataclass(frozen=True)
class ForecastConfig:
    horizons: dict[str, int] = field(default_factory=_horizons)  # buckets forecast
    max_history: dict[str, int] = field(default_factory=_max_history)  # older ignored
    min_history: int = 12  # fewer buckets: a stated fallback
    tie_margin: float = 2.0  # AICc points within which the simpler model wins
    backtest_windows: int = 5  # rolling origins for the Croston family

    def horizon(self, bucket: str) -> int:
        return self.horizons[bucket]


@dataclass(frozen=True)
class SeriesSpec:
    """A series' calendar: its bucket and season length (1: no season)."""

    bucket: str = "day"
    season_length: int = 7


@dataclass
class SeriesForecast:
    """What the portfolio says about one series (values per bucket)."""

    method: str
    forecast: list[float]
    intervals: dict[str, dict[str, list[float]]]
    sigma: float  # RMSE of the one-step (one-bucket) errors
    history_buckets: int
    bucket: str = "day"
    season_length: int = 1
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    fallback_reason: str = ""

    @property
    def sigma_daily(self) -> float:
        """A day's share of the bucket error, for safety stock (independent days)."""
        return float(self.sigma / np.sqrt(NOMINAL_DAYS[self.bucket]))


def mase_scale(y: Array, end: int, season: int) -> Array:
    """In-sample mean absolute error of the seasonal naive method on ``y[:, :end]``.

    Falls back to the naive method's, then to the mean level, then to 1, so that the
    scale is never zero (a flat series would otherwise score infinity).
    """
    past = y[:, :end]
    season = max(1, min(season, past.shape[1] - 1))
    scale = np.abs(past[:, season:] - past[:, :-season]).mean(axis=1)
    naive = np.abs(np.diff(past, axis=1)).mean(axis=1)
    scale = np.where(scale > 0, scale, naive)
    scale = np.where(scale > 0, scale, np.abs(past).mean(axis=1))
    return np.asarray(np.where(scale > 0, scale, 1.0), dtype=np.float64)


def _intervals(mean: Array, lower95: Array, upper95: Array) -> list[dict[str, dict[str, list]]]:
    z80, z95 = NormalDist().inv_cdf(0.9), NormalDist().inv_cdf(0.975)
    out = []
    for i in range(mean.shape[0]):
        lo_spread, hi_spread = mean[i] - lower95[i], upper95[i] - mean[i]
        out.append(
            {
                "80": {
                    "lower": _clip(mean[i] - lo_spread * z80 / z95),
                    "upper": _clip(mean[i] + hi_spread * z80 / z95),
                },
                "95": {"lower": _clip(lower95[i]), "upper": _clip(upper95[i])},
            }
        )
    return out


def _clip(values: Array) -> list[float]:
    return [round(float(v), 4) for v in np.maximum(values, 0.0)]


def choose_by_aicc(aicc: Array, n_params: Sequence[int], margin: float) -> int:
    """Fewest parameters among the models within ``margin`` of the lowest AICc."""
    finite = np.where(np.isfinite(aicc), aicc, np.inf)
    near = np.flatnonzero(finite <= finite.min() + margin)
    return int(min(near, key=lambda j: (n_params[int(j)], finite[j])))


def fit_ets(y: Array, season: int, config: ForecastConfig, horizon: int) -> list[SeriesForecast]:
    """ETS by AICc for equal-length series sharing a season and a sign (all positive or not)."""
    n, t_len = y.shape
    models = em.candidate_models(seasonal=season > 1, positive=bool((y > 0).all()))
    fit = ef.fit_models(y, models, season)
    k = len(models)
    aicc = fit.aicc.reshape(n, k)
    n_params = [model.n_params(season) for model in models]
    chosen = np.array([choose_by_aicc(aicc[i], n_params, config.tie_margin) for i in range(n)])
    _, _, _, res = em.run(np.ascontiguousarray(y.T), fit.rows, stats=True)
    scale = np.repeat(mase_scale(y, t_len, season), k)
    mase = (res.abs_sum / t_len / scale).reshape(n, k)
    bias = (res.sum / t_len).reshape(n, k)
    rmse = np.sqrt(res.sq_sum / t_len).reshape(n, k)
    picked = em.select_rows(fit.rows, np.arange(n) * k + chosen)
    mean, lower, upper, _ = em.forecast(y, picked, horizon)
    intervals = _intervals(mean, lower, upper)
    return [
        SeriesForecast(
            method=models[chosen[i]].name,
            forecast=_clip(mean[i]),
            intervals=intervals[i],
            sigma=float(rmse[i, chosen[i]]),
            history_buckets=t_len,
            season_length=season,
            scores={
                model.name: {
                    "aicc": round(float(aicc[i, j]), 3),
                    "mase": float(mase[i, j]),
                    "bias": float(bias[i, j]),
                    "rmse": float(rmse[i, j]),
                }
                for j, model in enumerate(models)
                if np.isfinite(aicc[i, j])
            },
        )
        for i in range(n)
    ]


def fit_intermittent(
    y: Array, season: int, config: ForecastConfig, horizon: int
) -> list[SeriesForecast]:
    """The Croston family by rolling-origin MASE, for intermittent series."""
    n, t_len = y.shape
    windows = config.backtest_windows
    h = max(1, min(horizon, (t_len - config.min_history) // windows))
    origins = [t_len - h * (windows - w) for w in range(windows)]
    names = im.INTERMITTENT_METHODS
    scores = np.zeros((len(names), n))
    bias = np.zeros_like(scores)
    sq = np.zeros_like(scores)
    all_rates = {name: im.rates(y, name) for name in names}
    for origin in origins:
        actual = y[:, origin : origin + h]
        scale = mase_scale(y, origin, season)
        for j, name in enumerate(names):
            err = all_rates[name][:, origin - 1 : origin] - actual
            scores[j] += np.abs(err).mean(axis=1) / scale / windows
            bias[j] += err.mean(axis=1) / windows
            sq[j] += (err * err).mean(axis=1) / windows
    best = scores.min(axis=0)
    chosen = np.argmax(scores <= best * (1 + 1e-9) + 1e-12, axis=0)  # first = simplest
    out = []
    for i in range(n):
        name = names[int(chosen[i])]
        rate = all_rates[name][i]
        resid = y[i, 1:] - rate[:-1]
        level = float(rate[-1])
        mean = np.full(horizon, level)
        q = {p: float(np.quantile(resid, p)) for p in (0.025, 0.1, 0.9, 0.975)}
        intervals = {
            "80": {"lower": _clip(mean + q[0.1]), "upper": _clip(mean + q[0.9])},
            "95": {"lower": _clip(mean + q[0.025]), "upper": _clip(mean + q[0.975])},
        }
        out.append(
            SeriesForecast(
                method=name,
                forecast=_clip(mean),
                intervals=intervals,
                sigma=float(np.sqrt((resid * resid).mean())),
                history_buckets=t_len,
                season_length=season,
                scores={
                    nm: {
                        "mase": float(scores[j, i]),
                        "bias": float(bias[j, i]),
                        "rmse": float(np.sqrt(sq[j, i])),
                    }
                    for j, nm in enumerate(names)
                },
            )
        )
    return out


def _fallback(history: Array, spec: SeriesSpec, config: ForecastConfig) -> SeriesForecast:
    horizon = config.horizon(spec.bucket)
    count = int(history.shape[0])
    if count == 0 or not history.any():
        zeros = [0.0] * horizon
        return SeriesForecast(
            method="zero",
            forecast=zeros,
            intervals={lv: {"lower": zeros, "upper": zeros} for lv in ("80", "95")},
            sigma=0.0,
            history_buckets=count,
            bucket=spec.bucket,
            fallback_reason="No demand history yet: the forecast is zero until demand is recorded.",
        )
    mean = float(history.mean())
    sigma = float(history.std(ddof=1)) if count > 1 else mean
    flat = np.full((1, horizon), mean)
    spread = 1.96 * sigma
    return SeriesForecast(
        method="history_mean",
        forecast=[round(mean, 4)] * horizon,
        intervals=_intervals(flat, flat - spread, flat + spread)[0],
        sigma=sigma,
        history_buckets=count,
        bucket=spec.bucket,
        fallback_reason=(
            f"Only {count} {spec.bucket}s of demand history; the models need "
            f"{config.min_history}. The forecast is the mean of those {count}, not validated."
        ),
    )


def forecast_portfolio(
    histories: Sequence[Array],
    specs: Sequence[SeriesSpec] | None = None,
    config: ForecastConfig | None = None,
) -> list[SeriesForecast]:
    """Forecast many bucketed series, each by its own calendar (default: daily, weekly season).

    ``histories[i]`` is series i's demand per bucket, oldest first, ending with the last
    complete bucket. All of it is used (up to ``max_history`` buckets).
    """
    config = config or ForecastConfig()
    specs = specs or [SeriesSpec()] * len(histories)
    results: list[SeriesForecast | None] = [None] * len(histories)
    groups: dict[tuple[int, int, str, bool, bool], list[int]] = defaultdict(list)
    for i, (raw, spec) in enumerate(zip(histories, specs, strict=True)):
        y = np.asarray(raw, dtype=np.float64)[-config.max_history[spec.bucket] :]
        if y.shape[0] < config.min_history or not y.any():
            results[i] = _fallback(y, spec, config)
            continue
        season = spec.season_length
        if season < 2 or y.shape[0] < 2 * season + 2:
            season = 1
        sparse = bool(im.is_intermittent(y[None, :])[0])
        positive = bool((y > 0).all())
        groups[(y.shape[0], season, spec.bucket, sparse, positive)].append(i)
    for (_, season, bucket, sparse, _), members in groups.items():
        spec_max = config.max_history[bucket]
        y = np.stack([np.asarray(histories[i], dtype=np.float64)[-spec_max:] for i in members])
        fit = fit_intermittent if sparse else fit_ets
        for i, result in zip(members, fit(y, season, config, config.horizon(bucket)), strict=True):
            result.bucket = bucket
            results[i] = result
    return [r for r in results if r is not None]
