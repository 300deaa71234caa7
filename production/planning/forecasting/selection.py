"""Rolling-origin backtest and per-series method selection, vectorised over series.

For each series the last ``windows`` blocks of ``horizon`` days are hidden in turn;
every method is fitted on the days before each origin (smoothing parameters are
re-estimated at every origin) and forecasts the hidden block. Scores per method:

* MASE: mean absolute error over the block divided by the in-sample mean absolute
  error of the seasonal naive method on the training days (the naive method when a
  season has no variation), averaged over the windows;
* bias: mean of (forecast - actual), in units per day (positive = over-forecast);
* RMSE of the daily errors, the sigma safety stock uses.

The method with the lowest MASE is kept (ties go to the smaller absolute bias) and
refitted on all the history to forecast ``forecast_horizon`` days. Forecasts are
clipped at zero: demand is never negative.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from production.planning.forecasting import methods as m
from production.planning.forecasting.methods import Array

METHODS: tuple[str, ...] = (
    "naive",
    "seasonal_naive",
    "moving_average",
    "ses",
    "holt",
    "holt_winters",
    "croston_sba",
)
METHOD_LABELS: dict[str, str] = {
    "naive": "Naive",
    "seasonal_naive": "Seasonal naive (weekly)",
    "moving_average": "Moving average",
    "ses": "Simple exponential smoothing",
    "holt": "Holt (trend)",
    "holt_winters": "Holt-Winters (additive, weekly)",
    "croston_sba": "Croston (SBA)",
    "history_mean": "Mean of the short history (fallback)",
    "zero": "Zero (no history, fallback)",
}
_ETS = {"ses": m.SES, "holt": m.HOLT, "holt_winters": m.HOLT_WINTERS}


@dataclass(frozen=True)
class ForecastConfig:
    horizon: int = 14  # days per backtest window
    windows: int = 3  # rolling origins
    season: int = 7  # weekly season of daily demand
    moving_average_window: int = 28
    forecast_horizon: int = 56  # days forecast after the last day of history
    max_history: int = 730  # older days are ignored
    bucket_days: int = 28  # shorter histories are cut to a multiple of this, to batch them
    methods: tuple[str, ...] = METHODS

    @property
    def min_history(self) -> int:
        """Fewest days for a backtest: the hidden windows plus four seasons to train on."""
        return self.windows * self.horizon + 4 * self.season


@dataclass
class SeriesForecast:
    """What the portfolio says about one series."""

    method: str
    forecast: list[float]
    sigma_daily: float
    history_days: int
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    fallback_reason: str = ""


@dataclass
class Selection:
    """Backtest scores and the chosen method's forecast for a batch of equal-length series."""

    methods: tuple[str, ...]
    mase: Array  # (n_methods, n_series)
    bias: Array
    rmse: Array
    chosen: NDArray[np.intp]  # index into methods, per series
    forecast: Array  # (n_series, forecast_horizon), of the chosen method
    sigma: Array  # (n_series,), backtest RMSE of the chosen method


def method_forecasts(
    y: Array, ends: Sequence[int], horizon: int, config: ForecastConfig
) -> dict[str, Array]:
    """Every method's forecasts after each end: ``(n_series, len(ends), horizon)``."""
    n = y.shape[0]
    k = len(ends)
    ends_arr = np.asarray(ends, dtype=np.intp)
    out: dict[str, Array] = {}
    for name in config.methods:
        if name in _ETS:
            fc, _ = m.ets_fit_forecast(
                y, horizon, spec=_ETS[name], season=config.season, ends=ends_arr
            )
            out[name] = fc.reshape(n, k, horizon)
        elif name == "croston_sba":
            z, p = m.croston_sba_states(y[:, : int(ends_arr.max())])
            rate = np.nan_to_num(m.SBA_FACTOR * z[:, ends_arr - 1] / p[:, ends_arr - 1], nan=0.0)
            out[name] = np.repeat(rate[:, :, None], horizon, axis=2)
        else:
            blocks = []
            for end in ends:
                past = y[:, :end]
                if name == "naive":
                    blocks.append(m.naive(past, horizon))
                elif name == "seasonal_naive":
                    blocks.append(m.seasonal_naive(past, horizon, config.season))
                elif name == "moving_average":
                    blocks.append(m.moving_average(past, horizon, config.moving_average_window))
                else:
                    raise ValueError(f"unknown method {name!r}")
            out[name] = np.stack(blocks, axis=1)
        np.maximum(out[name], 0.0, out=out[name])
    return out


def mase_scale(y: Array, end: int, season: int) -> Array:
    """In-sample mean absolute error of the seasonal naive method on ``y[:, :end]``.

    Falls back to the naive method's, then to the mean level, then to 1, so that the
    scale is never zero (a flat series would otherwise score infinity).
    """
    past = y[:, :end]
    scale = np.abs(past[:, season:] - past[:, :-season]).mean(axis=1)
    naive = np.abs(np.diff(past, axis=1)).mean(axis=1)
    scale = np.where(scale > 0, scale, naive)
    scale = np.where(scale > 0, scale, np.abs(past).mean(axis=1))
    return np.where(scale > 0, scale, 1.0)


def select(y: Array, config: ForecastConfig) -> Selection:
    """Backtest every method on equal-length series, keep the best, forecast with it."""
    n, t_len = y.shape
    h = config.horizon
    origins = [t_len - h * (config.windows - w) for w in range(config.windows)]
    steps = max(h, config.forecast_horizon)
    forecasts = method_forecasts(y, [*origins, t_len], steps, config)
    actual = np.stack([y[:, o : o + h] for o in origins], axis=1)  # (n, W, h)
    scale = np.stack([mase_scale(y, o, config.season) for o in origins], axis=1)  # (n, W)
    names = tuple(config.methods)
    mase = np.empty((len(names), n))
    bias = np.empty((len(names), n))
    rmse = np.empty((len(names), n))
    for i, name in enumerate(names):
        err = forecasts[name][:, : config.windows, :h] - actual
        mase[i] = (np.abs(err).mean(axis=2) / scale).mean(axis=1)
        bias[i] = err.mean(axis=(1, 2))
        rmse[i] = np.sqrt((err * err).mean(axis=(1, 2)))
    ranked = np.where(np.isfinite(mase), mase, np.inf)
    # Lowest MASE; among near-ties (within 1e-9) the smaller absolute bias.
    best = ranked.min(axis=0)
    tied = ranked <= best + 1e-9
    chosen = np.where(tied, np.abs(bias), np.inf).argmin(axis=0).astype(np.intp)
    final = np.stack([forecasts[name][:, -1, : config.forecast_horizon] for name in names])
    cols = np.arange(n)
    return Selection(
        methods=names,
        mase=mase,
        bias=bias,
        rmse=rmse,
        chosen=chosen,
        forecast=final[chosen, cols],
        sigma=rmse[chosen, cols],
    )


def _fallback(history: Array, config: ForecastConfig) -> SeriesForecast:
    days = int(history.shape[0])
    if days == 0:
        return SeriesForecast(
            method="zero",
            forecast=[0.0] * config.forecast_horizon,
            sigma_daily=0.0,
            history_days=0,
            fallback_reason="No demand history yet: the forecast is zero until demand is recorded.",
        )
    mean = float(history.mean())
    sigma = float(history.std(ddof=1)) if days > 1 else mean
    return SeriesForecast(
        method="history_mean",
        forecast=[mean] * config.forecast_horizon,
        sigma_daily=sigma,
        history_days=days,
        fallback_reason=(
            f"Only {days} days of demand history; the backtest needs {config.min_history}. "
            f"The forecast is the mean of those {days} days, not validated."
        ),
    )


def forecast_portfolio(
    histories: Sequence[Array], config: ForecastConfig | None = None
) -> list[SeriesForecast]:
    """Forecast many daily series: backtest, select and forecast each one.

    ``histories[i]`` is series i's daily demand, oldest first, ending on the last
    complete day. Series of equal usable length are processed together as one 2-D
    array; those shorter than ``config.min_history`` get a stated fallback.
    """
    config = config or ForecastConfig()
    results: list[SeriesForecast | None] = [None] * len(histories)
    groups: dict[int, list[int]] = defaultdict(list)
    for i, raw in enumerate(histories):
        history = np.asarray(raw, dtype=np.float64)[-config.max_history :]
        if history.shape[0] < config.min_history:
            results[i] = _fallback(history, config)
            continue
        usable = history.shape[0]
        if usable < config.max_history:
            usable = max(config.min_history, usable - usable % config.bucket_days)
        groups[usable].append(i)
    for usable, members in groups.items():
        y = np.stack([np.asarray(histories[i], dtype=np.float64)[-usable:] for i in members])
        sel = select(y, config)
        for col, i in enumerate(members):
            results[i] = SeriesForecast(
                method=sel.methods[int(sel.chosen[col])],
                forecast=[float(v) for v in sel.forecast[col]],
                sigma_daily=float(sel.sigma[col]),
                history_days=min(len(histories[i]), config.max_history),
                scores={
                    name: {
                        "mase": float(sel.mase[j, col]),
                        "bias": float(sel.bias[j, col]),
                        "rmse": float(sel.rmse[j, col]),
                    }
                    for j, name in enumerate(sel.methods)
                },
            )
    return [r for r in results if r is not None]
