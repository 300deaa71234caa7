"""Exponential smoothing, vectorised over series (see ``methods`` for the shapes).

Exponential smoothing is written in error-correction form, the same recursions as
statsmodels' ``ExponentialSmoothing`` (additive trend ``beta`` is statsmodels'
``smoothing_trend``, additive seasonality ``gamma`` its ``smoothing_seasonal``)::

    yhat_t = l + b + s_{t-m}        e_t = y_t - yhat_t
    l_t    = l + b + alpha * e_t
    b_t    = b + beta * (l_t - l - b)
    s_t    = s_{t-m} + gamma * e_t

Smoothing parameters are estimated per series by least squares of the one-step
errors (statsmodels' objective): a coarse grid, then a pattern search that halves
its step, both evaluated for all series and candidates at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product as cartesian

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

_LOW = 1e-4
_HIGH = 1.0 - 1e-4


@dataclass
class EtsParams:
    """Smoothing parameters and initial states, one entry per row."""

    alpha: Array
    beta: Array
    gamma: Array
    level0: Array
    trend0: Array
    season0: Array  # (rows, m); zero columns when the model has no season


@dataclass
class EtsSpec:
    """Which components a smoothing model has."""

    name: str
    trend: bool
    seasonal: bool
    grid: dict[str, tuple[float, ...]] = field(default_factory=dict)


SES = EtsSpec(
    "ses", trend=False, seasonal=False, grid={"alpha": (0.02, 0.05, 0.1, 0.2, 0.35, 0.6, 0.9)}
)
HOLT = EtsSpec(
    "holt",
    trend=True,
    seasonal=False,
    grid={"alpha": (0.03, 0.1, 0.3, 0.7), "beta": (0.0002, 0.01, 0.1)},
)
HOLT_WINTERS = EtsSpec(
    "holt_winters",
    trend=True,
    seasonal=True,
    grid={"alpha": (0.03, 0.1, 0.3, 0.7), "beta": (0.0002, 0.03), "gamma": (0.05, 0.2, 0.5)},
)


# --- simple methods -------------------------------------------------------------------


def initial_states(y: Array, season: int, spec: EtsSpec) -> tuple[Array, Array, Array]:
    """Heuristic initial level, trend and seasonal indices from the first two seasons.

    level = mean of the first season; trend = (mean of the second season - mean of the
    first) / m; seasonal indices = first season minus the level (statsmodels' "simple"
    initialisation for a seasonal model).
    """
    n = y.shape[0]
    m = max(1, season)
    first = y[:, :m].mean(axis=1)
    level = first.copy()
    trend = np.zeros(n)
    if spec.trend and y.shape[1] >= 2 * m:
        trend = (y[:, m : 2 * m].mean(axis=1) - first) / m
    seas = np.zeros((n, m if spec.seasonal else 1))
    if spec.seasonal:
        seas = y[:, :m] - first[:, None]
    return level, trend, seas


def ets_filter(
    y_t: Array,
    rows: NDArray[np.intp],
    params: EtsParams,
    *,
    spec: EtsSpec,
    ends: NDArray[np.intp] | None = None,
    want_fitted: bool = False,
) -> tuple[Array, Array | None, tuple[Array, Array, Array, NDArray[np.intp]]]:
    """Run the smoothing recursions for many rows at once.

    ``y_t`` is the data transposed, ``(n_days, n_series)``; row ``r`` filters series
    ``rows[r]`` with its own parameters, over its first ``ends[r]`` days (default: all).
    Returns the sum of squared one-step errors per row, the one-step fitted values
    ``(rows, n_days)`` if asked, and the states (level, trend, season, next season slot)
    after each row's last day.
    """
    t_len = y_t.shape[0] if ends is None else int(ends.max())
    n_rows = rows.shape[0]
    m = params.season0.shape[1]
    level = params.level0.copy()
    trend = params.trend0.copy() if spec.trend else np.zeros(n_rows)
    season = np.ascontiguousarray(params.season0.T).copy()  # (m, rows): one slot per weekday
    alpha, beta, gamma = params.alpha, params.beta, params.gamma
    sse = np.zeros(n_rows)
    fitted = np.empty((t_len, n_rows)) if want_fitted else None
    end_at: NDArray[np.intp] = (
        np.full(n_rows, t_len, dtype=np.intp) if ends is None else np.asarray(ends, np.intp)
    )
    ragged = bool((end_at != t_len).any())
    # Rows with an earlier end stop counting errors (and keep their states) from there.
    first_end = int(end_at.min())
    if ragged:
        end_level = level.copy()
        end_trend = trend.copy()
        end_season = season.copy()
    base = np.empty(n_rows)
    err = np.empty(n_rows)
    tmp = np.empty(n_rows)
    for t in range(t_len):
        slot = t % m
        # one-step forecast and its error
        if spec.trend:
            np.add(level, trend, out=base)
        else:
            base[:] = level
        np.subtract(y_t[t, rows], base, out=err)
        if spec.seasonal:
            err -= season[slot]
        if fitted is not None:
            np.subtract(y_t[t, rows], err, out=fitted[t])
        np.multiply(err, err, out=tmp)
        if t >= first_end:
            tmp[t >= end_at] = 0.0
        sse += tmp
        # state updates (error-correction form)
        np.multiply(alpha, err, out=tmp)
        np.add(base, tmp, out=level)
        if spec.trend:
            np.subtract(level, base, out=tmp)  # l_t - l_{t-1} - b_{t-1}
            tmp *= beta
            trend += tmp
        if spec.seasonal:
            np.multiply(gamma, err, out=tmp)
            season[slot] += tmp
        if ragged and t + 1 >= first_end:
            done = end_at == t + 1
            if done.any():
                end_level[done] = level[done]
                end_trend[done] = trend[done]
                end_season[:, done] = season[:, done]
    if ragged:
        level, trend, season = end_level, end_trend, end_season
        next_slot = (end_at % m).astype(np.intp)
    else:
        next_slot = np.full(n_rows, t_len % m, dtype=np.intp)
    fitted_out = None if fitted is None else np.ascontiguousarray(fitted.T)
    return sse, fitted_out, (level, trend, season.T, next_slot)


def ets_forecast(
    states: tuple[Array, Array, Array, NDArray[np.intp]], horizon: int, spec: EtsSpec
) -> Array:
    """h-step forecasts from states: level + h x trend + the matching seasonal index."""
    level, trend, season, next_slot = states
    steps = np.arange(1, horizon + 1)
    out = np.repeat(level[:, None], horizon, axis=1)
    if spec.trend:
        out = out + trend[:, None] * steps[None, :]
    if spec.seasonal:
        m = season.shape[1]
        slots = (next_slot[:, None] + steps[None, :] - 1) % m
        out = out + np.take_along_axis(season, slots, axis=1)
    return np.asarray(out, dtype=np.float64)


def _free_names(spec: EtsSpec) -> list[str]:
    return ["alpha"] + (["beta"] if spec.trend else []) + (["gamma"] if spec.seasonal else [])


def _logit(p: Array) -> Array:
    p = np.clip(p, _LOW, _HIGH)
    return np.asarray(np.log(p / (1.0 - p)), dtype=np.float64)


def _expit(x: Array) -> Array:
    return np.asarray(np.clip(1.0 / (1.0 + np.exp(-x)), _LOW, _HIGH), dtype=np.float64)


def _to_params(u: dict[str, Array]) -> dict[str, Array]:
    """Unconstrained search coordinates -> smoothing parameters inside statsmodels' bounds.

    gamma is searched as a share of ``1 - alpha`` so that ``gamma <= 1 - alpha`` holds
    everywhere and the search space is a plain box.
    """
    out = {"alpha": _expit(u["alpha"])}
    if "beta" in u:
        out["beta"] = _expit(u["beta"])
    if "gamma" in u:
        out["gamma"] = np.maximum(_LOW, _expit(u["gamma"]) * (1.0 - out["alpha"]))
    return out


def _to_search(params: dict[str, Array]) -> dict[str, Array]:
    out = {"alpha": _logit(params["alpha"])}
    if "beta" in params:
        out["beta"] = _logit(params["beta"])
    if "gamma" in params:
        out["gamma"] = _logit(params["gamma"] / np.maximum(_LOW, 1.0 - params["alpha"]))
    return out


def ets_fit(
    y: Array,
    *,
    spec: EtsSpec,
    season: int,
    ends: NDArray[np.intp] | None = None,
    iterations: int = 12,
) -> tuple[EtsParams, Array]:
    """Least-squares smoothing parameters for each series (and each end, for backtests).

    ``ends`` gives, per series and fit, how many leading days the fit may see: passing
    ``k`` ends per series fits ``k`` models per series in the same pass (the rolling
    origins of a backtest). Returns the parameters of each fit, ``(n_series * k)`` rows
    in series-major order, and their sums of squared one-step errors.
    """
    n, t_len = y.shape
    y_t = np.ascontiguousarray(y.T)
    if ends is None:
        ends = np.array([t_len], dtype=np.intp)
    ends = np.asarray(ends, dtype=np.intp)
    k = ends.shape[0]
    fit_rows = np.repeat(np.arange(n), k)
    fit_ends = np.tile(ends, n)
    level0, trend0, season0 = initial_states(y, season, spec)
    names = _free_names(spec)
    n_fits = fit_rows.shape[0]

    def evaluate(search: dict[str, Array], copies: int) -> Array:
        cand = _to_params(search)
        base_rows = np.tile(np.arange(n_fits), copies)
        zeros = np.zeros(base_rows.shape[0])
        p = EtsParams(
            cand["alpha"],
            cand.get("beta", zeros),
            cand.get("gamma", zeros),
            level0[fit_rows[base_rows]],
            trend0[fit_rows[base_rows]],
            season0[fit_rows[base_rows]],
        )
        sse, _, _ = ets_filter(y_t, fit_rows[base_rows], p, spec=spec, ends=fit_ends[base_rows])
        sse = np.where(np.isfinite(sse), sse, np.inf)
        return sse.reshape(copies, n_fits)

    # 1. Coarse grid, every fit at every grid point.
    grid = list(cartesian(*(spec.grid[name] for name in names)))
    g = len(grid)
    raw = {
        name: np.repeat(np.array([point[i] for point in grid], dtype=np.float64), n_fits)
        for i, name in enumerate(names)
    }
    if "gamma" in raw:  # grid gamma values are shares of 1 - alpha
        raw["gamma"] = raw["gamma"] * (1.0 - raw["alpha"])
    search = _to_search(raw)
    sse = evaluate(search, g)
    cols = np.arange(n_fits)
    best_idx = sse.argmin(axis=0)
    best = {name: search[name].reshape(g, n_fits)[best_idx, cols] for name in names}
    best_sse = sse[best_idx, cols]

    # 2. Pattern search in logit space: try +/- step on each coordinate, keep the best
    #    move, halve the step where nothing improved.
    step = np.full(n_fits, 1.0)
    for _ in range(iterations):
        moves = []
        for name in names:
            for sign in (-1.0, 1.0):
                moved = dict(best)
                moved[name] = best[name] + sign * step
                moves.append(moved)
        c = len(moves)
        stacked = {name: np.concatenate([mv[name] for mv in moves]) for name in names}
        trial = evaluate(stacked, c)
        arg = trial.argmin(axis=0)
        trial_best = trial[arg, cols]
        won = trial_best < best_sse * (1 - 1e-12)
        for name in names:
            chosen = stacked[name].reshape(c, n_fits)[arg, cols]
            best[name] = np.where(won, chosen, best[name])
        step = np.where(won, step, step * 0.5)
        best_sse = np.where(won, trial_best, best_sse)

    final = _to_params(best)
    zeros = np.zeros(n_fits)
    params = EtsParams(
        final["alpha"],
        final.get("beta", zeros),
        final.get("gamma", zeros),
        level0[fit_rows],
        trend0[fit_rows],
        season0[fit_rows],
    )
    return params, best_sse


def ets_fit_forecast(
    y: Array, horizon: int, *, spec: EtsSpec, season: int, ends: NDArray[np.intp] | None = None
) -> tuple[Array, EtsParams]:
    """Fit each series (at each end) and forecast ``horizon`` days after each end.

    Returns forecasts of shape ``(n_series * len(ends), horizon)`` in series-major order.
    """
    n, t_len = y.shape
    if ends is None:
        ends = np.array([t_len], dtype=np.intp)
    params, _ = ets_fit(y, spec=spec, season=season, ends=ends)
    k = len(ends)
    rows = np.repeat(np.arange(n), k)
    _, _, states = ets_filter(
        np.ascontiguousarray(y.T), rows, params, spec=spec, ends=np.tile(ends, n)
    )
    return ets_forecast(states, horizon, spec), params


def ets_fitted(y: Array, params: EtsParams, *, spec: EtsSpec) -> Array:
    """One-step in-sample fitted values for given parameters (one row per series)."""
    rows = np.arange(y.shape[0])
    _, fitted, _ = ets_filter(np.ascontiguousarray(y.T), rows, params, spec=spec, want_fitted=True)
    assert fitted is not None
    return fitted
