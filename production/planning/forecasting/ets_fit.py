"""Estimation of the ETS family (``ets_models``) by maximum likelihood, vectorised. No Django.

Initial states come from a classical decomposition of the first seasons (R's
``forecast::ets`` heuristic); each model's smoothing parameters start from a coarse grid
over its own parameters, then a pattern search (in logit space, halving its step where
nothing improves) refines them together with the initial level and trend. AICc counts
the parameters as R's ``ets`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product as cartesian

import numpy as np
from numpy.typing import NDArray

from production.planning.forecasting.ets_models import (
    _HIGH,
    _LOW,
    PHI_HIGH,
    PHI_LOW,
    Array,
    EtsModel,
    Rows,
    run,
)


def initial_states(y: Array, m: int, season: str, trend: str) -> tuple[Array, Array, Array]:
    """Level, trend and seasonal indices before the first point, per series.

    Season: a classical decomposition (centred moving average) of the first three seasons
    (two if that is all there is); level and trend: a straight line fitted to the first
    max(10, 2m) seasonally adjusted points.
    """
    n, t_len = y.shape
    seas = np.zeros((n, max(1, m))) if season != "M" else np.ones((n, max(1, m)))
    adjusted = y
    if season != "N" and m > 1:
        span = min(t_len, 3 * m)
        part = y[:, :span]
        # a 2 x m moving average for an even season, m for an odd one
        weights = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
        half = len(weights) // 2
        centred = np.stack([np.convolve(row, weights, mode="valid") for row in part])
        positions = np.arange(half, half + centred.shape[1])
        ratio = part[:, positions] / centred if season == "M" else part[:, positions] - centred
        slots = positions % m
        for j in range(m):
            seas[:, j] = ratio[:, slots == j].mean(axis=1)
        if season == "M":
            seas = seas / seas.mean(axis=1, keepdims=True)
        else:
            seas = seas - seas.mean(axis=1, keepdims=True)
        idx = np.arange(t_len) % m
        adjusted = y / seas[:, idx] if season == "M" else y - seas[:, idx]
    maxn = min(max(10, 2 * m), t_len)
    t = np.arange(1, maxn + 1, dtype=np.float64)
    window = adjusted[:, :maxn]
    slope = ((t - t.mean()) * (window - window.mean(axis=1, keepdims=True))).sum(axis=1) / (
        (t - t.mean()) ** 2
    ).sum()
    intercept = window.mean(axis=1) - slope * t.mean()
    if trend == "N":
        return window.mean(axis=1), np.zeros(n), seas
    return intercept, slope, seas


# --- estimation -----------------------------------------------------------------------

GRID = {
    "alpha": (0.05, 0.2, 0.5, 0.8),
    "beta": (0.01, 0.2),  # share of alpha
    "gamma": (0.02, 0.2, 0.5),  # share of 1 - alpha
    "phi": (0.85, 0.96),
}


def _expit(x: Array, low: float = _LOW, high: float = _HIGH) -> Array:
    return np.asarray(low + (high - low) / (1.0 + np.exp(-x)), dtype=np.float64)


def _logit(p: Array, low: float = _LOW, high: float = _HIGH) -> Array:
    share = np.clip((np.asarray(p) - low) / (high - low), 1e-6, 1 - 1e-6)
    return np.asarray(np.log(share / (1.0 - share)), dtype=np.float64)


@dataclass
class Fit:
    """Estimated models: one entry per (series, model), series-major."""

    models: list[EtsModel]
    rows: Rows
    objective: Array  # -2 log-likelihood (up to a shared constant)
    aicc: Array
    n_obs: int


def _free(model: EtsModel) -> list[str]:
    names = ["alpha", "l0"]
    if model.trend != "N":
        names += ["beta", "b0"]
    if model.season != "N":
        names.append("gamma")
    if model.trend == "Ad":
        names.append("phi")
    return names


def _best_per_fit(fit_of: NDArray[np.intp], obj: Array, n_fits: int) -> NDArray[np.intp]:
    """Index of the lowest objective among the trials of each fit (-1 where none)."""
    order = np.lexsort((obj, fit_of))
    fits, first = np.unique(fit_of[order], return_index=True)
    out = np.full(n_fits, -1, dtype=np.intp)
    out[fits] = order[first]
    return out


def fit_models(
    y: Array, models: list[EtsModel], season_length: int, *, iterations: int = 14
) -> Fit:
    """Fit every model to every series of ``y`` (``(n, T)``, equal lengths) at once.

    Each model searches only its own parameters: a grid over them, then a pattern search
    in which a fit whose step has shrunk below 1/64 stops moving.
    """
    n, t_len = y.shape
    m = max(1, season_length)
    y_t = np.ascontiguousarray(y.T)
    k = len(models)
    series = np.repeat(np.arange(n), k)
    model_of = np.tile(np.arange(k), n)
    n_fits = n * k
    init: dict[tuple[str, str], tuple[Array, Array, Array]] = {}
    for model in models:
        key = (model.season, "N" if model.trend == "N" else "A")
        if key not in init:
            init[key] = initial_states(y, m, model.season, key[1])
    l0 = np.empty(n_fits)
    b0 = np.empty(n_fits)
    s0 = np.empty((n_fits, m))
    for j, model in enumerate(models):
        lv, tr, se = init[(model.season, "N" if model.trend == "N" else "A")]
        sel = model_of == j
        l0[sel], b0[sel], s0[sel] = lv, tr, se
    scale = np.maximum(np.abs(y).mean(axis=1), 1e-6)[series]
    free = [_free(model) for model in models]
    mult_season = np.array([models[j].season == "M" for j in model_of])
    mult_error = np.array([models[j].error == "M" for j in model_of])
    damped = np.array([models[j].trend == "Ad" for j in model_of])
    trended = np.array([models[j].trend != "N" for j in model_of])
    seasonal = np.array([models[j].season != "N" for j in model_of])
    coords = ["alpha", "beta", "gamma", "phi", "l0", "b0"]

    def rows_for(u: dict[str, Array], fit_of: NDArray[np.intp]) -> Rows:
        alpha = _expit(u["alpha"])
        beta = np.where(trended[fit_of], _expit(u["beta"]) * alpha, 0.0)
        gamma = np.where(seasonal[fit_of], _expit(u["gamma"]) * (1.0 - alpha), 0.0)
        phi = np.where(
            damped[fit_of],
            _expit(u["phi"], PHI_LOW, PHI_HIGH),
            np.where(trended[fit_of], 1.0, 0.0),
        )
        sc = scale[fit_of]
        return Rows(
            series=series[fit_of],
            alpha=alpha,
            beta=beta,
            gamma=gamma,
            phi=phi,
            mult_season=mult_season[fit_of],
            mult_error=mult_error[fit_of],
            level0=l0[fit_of] + u["l0"] * sc * 0.1,
            trend0=np.where(trended[fit_of], b0[fit_of] + u["b0"] * sc * 0.01, 0.0),
            season0=s0[fit_of],
        )

    def evaluate(u: dict[str, Array], fit_of: NDArray[np.intp]) -> Array:
        obj, _, _, _ = run(y_t, rows_for(u, fit_of))
        return obj

    # 1. A grid over each model's own smoothing parameters.
    parts: dict[str, list[Array]] = {name: [] for name in coords}
    fit_parts: list[NDArray[np.intp]] = []
    fits_of_model = [np.flatnonzero(model_of == j) for j in range(k)]
    for j in range(k):
        names = [c for c in ("alpha", "beta", "gamma", "phi") if c in free[j]]
        points = list(cartesian(*(GRID[c] for c in names)))
        fits = fits_of_model[j]
        for c in coords:
            if c in names:
                i = names.index(c)
                low, high = (PHI_LOW, PHI_HIGH) if c == "phi" else (_LOW, _HIGH)
                values = _logit(np.array([p[i] for p in points]), low, high)
            else:
                values = np.zeros(len(points))
            parts[c].append(np.repeat(values, fits.shape[0]))
        fit_parts.append(np.tile(fits, len(points)))
    trials = {c: np.concatenate(parts[c]) for c in coords}
    fit_of = np.concatenate(fit_parts)
    obj = evaluate(trials, fit_of)
    pick = _best_per_fit(fit_of, obj, n_fits)
    best = {c: trials[c][pick] for c in coords}
    best_obj = obj[pick]
    has = {c: np.array([c in free[j] for j in model_of]) for c in coords}

    # 2. Pattern search: +/- step on each free coordinate; halve the step on no gain.
    step = np.full(n_fits, 1.0)
    for _ in range(iterations):
        active = step >= 1.0 / 64
        if not active.any():
            break
        parts = {c: [] for c in coords}
        fit_parts = []
        for c in coords:
            fits = np.flatnonzero(active & has[c])
            for sign in (-1.0, 1.0):
                for other in coords:
                    moved = best[other][fits]
                    if other == c:
                        moved = moved + sign * step[fits]
                    parts[other].append(moved)
                fit_parts.append(fits)
        trials = {c: np.concatenate(parts[c]) for c in coords}
        fit_of = np.concatenate(fit_parts)
        obj = evaluate(trials, fit_of)
        pick = _best_per_fit(fit_of, obj, n_fits)
        moved_fits = np.flatnonzero(pick >= 0)
        chosen = pick[moved_fits]
        won = obj[chosen] < best_obj[moved_fits] - 1e-9 * np.abs(best_obj[moved_fits])
        winners, winning = moved_fits[won], chosen[won]
        for c in coords:
            best[c][winners] = trials[c][winning]
        best_obj[winners] = obj[winning]
        losers = moved_fits[~won]
        step[losers] *= 0.5
    rows = rows_for(best, np.arange(n_fits))
    n_par = np.array([models[j].n_params(m) for j in model_of], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        correction = np.where(
            t_len - n_par - 1 > 0, 2 * n_par * (n_par + 1) / (t_len - n_par - 1), np.inf
        )
    aicc = best_obj + 2 * n_par + correction
    return Fit(models, rows, best_obj, aicc, t_len)
