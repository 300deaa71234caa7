"""The ETS family (error, trend, season), vectorised over series and models. No Django.

A model is named as in Hyndman et al. (and statsforecast's AutoETS): error ``A``/``M``,
trend ``N``/``A``/``Ad`` (damped), season ``N``/``A``/``M``; ``AAdM`` is additive error,
damped trend, multiplicative season. Every model runs the same error-correction
recursions (``e = y - mu``, the one-step error)::

    base = l + phi b                      mu = base + s   or   base x s  (season M)
    l'   = base + alpha e / r             r  = s for season M, else 1
    b'   = phi b + beta e / r
    s'   = s + gamma e / q                q  = base for season M, else 1

A model without trend has ``b = beta = phi = 0``; one without season ``s = gamma = 0``.
The error type changes only the likelihood: additive, ``n log(sum e^2)``; multiplicative,
``n log(sum (e / mu)^2) + 2 sum log |mu|`` (the same -2 log-likelihood, up to a constant
shared by every model, as statsforecast and R's forecast use), so AICc compares them.

All candidate models of a batch of equal-length series are fitted in one pass: each row
of the state arrays is one (series, model, trial parameters) triple. Parameters are
estimated by maximum likelihood: a coarse grid, then a pattern search that halves its
step; initial states come from a classical decomposition of the first seasons (R's
``forecast::ets`` heuristic) and the initial level and trend are refined by the search.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product as cartesian

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
_LOW, _HIGH = 1e-4, 1.0 - 1e-4
PHI_LOW, PHI_HIGH = 0.8, 0.98


@dataclass(frozen=True)
class EtsModel:
    error: str  # "A" or "M"
    trend: str  # "N", "A" or "Ad"
    season: str  # "N", "A" or "M"

    @property
    def name(self) -> str:
        return f"ets_{self.error}{self.trend}{self.season}".lower()

    @property
    def code(self) -> str:
        return f"ETS({self.error},{self.trend},{self.season})"

    @property
    def multiplicative(self) -> bool:
        return self.error == "M" or self.season == "M"

    def n_params(self, season_length: int) -> int:
        """Parameters R's ets counts: smoothing, damping, initial states, and sigma."""
        k = 2  # alpha, l0
        if self.trend != "N":
            k += 2  # beta, b0
        if self.trend == "Ad":
            k += 1
        if self.season != "N":
            k += 1 + season_length - 1
        return k + 1


def candidate_models(*, seasonal: bool, positive: bool) -> list[EtsModel]:
    """AutoETS's admissible set: no additive error with a multiplicative season, and
    multiplicative parts only for strictly positive data."""
    out = []
    for error, trend, season in cartesian("AM", ("N", "A", "Ad"), "NAM"):
        if season != "N" and not seasonal:
            continue
        if not positive and (error == "M" or season == "M"):
            continue
        if error == "A" and season == "M":
            continue
        out.append(EtsModel(error, trend, season))
    return out


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


@dataclass
class Rows:
    """Per-row parameters and flags of one pass of the recursions."""

    series: NDArray[np.intp]
    alpha: Array
    beta: Array
    gamma: Array
    phi: Array
    mult_season: NDArray[np.bool_]
    mult_error: NDArray[np.bool_]
    level0: Array
    trend0: Array
    season0: Array  # (rows, m)


@dataclass
class Residuals:
    """Sums over the one-step errors of each row: absolute, signed, squared."""

    abs_sum: Array
    sum: Array
    sq_sum: Array


def run(
    y_t: Array, rows: Rows, *, want_fitted: bool = False, stats: bool = False
) -> tuple[Array, Array | None, tuple[Array, Array, Array], Residuals]:
    """The recursions for every row over all of ``y_t`` (``(T, n_series)``).

    Returns the objective per row (-2 log-likelihood up to a constant; inf where a
    multiplicative row's mean left the positive half-line), the one-step fitted
    values ``(rows, T)`` if asked, the final states (level, trend, season ``(rows, m)``)
    and the sums of the one-step errors.
    """
    t_len = y_t.shape[0]
    m = rows.season0.shape[1]
    level, trend = rows.level0.copy(), rows.trend0.copy()
    season = np.ascontiguousarray(rows.season0.T).copy()
    want_stats = want_fitted or stats
    sse = np.zeros(rows.series.shape[0])
    sae = np.zeros_like(sse)
    signed = np.zeros_like(sse)
    sse_rel = np.zeros_like(sse)
    log_mu = np.zeros_like(sse)
    bad = np.zeros(sse.shape[0], dtype=bool)
    mult = rows.mult_season
    any_mult = bool(mult.any())
    any_merr = bool(rows.mult_error.any())
    fitted = np.empty((t_len, sse.shape[0])) if want_fitted else None
    for t in range(t_len):
        slot = t % m
        s = season[slot]
        base = level + rows.phi * trend
        mu = np.where(mult, base * s, base + s) if any_mult else base + s
        err = y_t[t, rows.series] - mu
        if fitted is not None:
            fitted[t] = mu
        sse += err * err
        if want_stats:
            sae += np.abs(err)
            signed += err
        if any_mult or any_merr:
            positive = mu > 1e-12
            bad |= ~positive & (rows.mult_error | mult)
            safe = np.where(positive, mu, 1.0)
            rel = err / safe
            sse_rel += rel * rel
            log_mu += np.log(safe)
        if any_mult:
            r = np.where(mult, s, 1.0)
            q = np.where(mult, base, 1.0)
            r = np.where(np.abs(r) > 1e-12, r, 1e-12)
            q = np.where(np.abs(q) > 1e-12, q, 1e-12)
            level = base + rows.alpha * err / r
            trend = rows.phi * trend + rows.beta * err / r
            season[slot] = s + rows.gamma * err / q
        else:
            level = base + rows.alpha * err
            trend = rows.phi * trend + rows.beta * err
            season[slot] = s + rows.gamma * err
    with np.errstate(divide="ignore", invalid="ignore"):
        add_obj = t_len * np.log(np.maximum(sse, 1e-300))
        mult_obj = t_len * np.log(np.maximum(sse_rel, 1e-300)) + 2.0 * log_mu
    obj = np.where(rows.mult_error, mult_obj, add_obj)
    obj = np.where(bad | ~np.isfinite(obj), np.inf, obj)
    out_fitted = None if fitted is None else np.ascontiguousarray(fitted.T)
    return obj, out_fitted, (level, trend, season.T.copy()), Residuals(sae, signed, sse)


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


def select_rows(rows: Rows, index: NDArray[np.intp]) -> Rows:
    return Rows(
        series=rows.series[index],
        alpha=rows.alpha[index],
        beta=rows.beta[index],
        gamma=rows.gamma[index],
        phi=rows.phi[index],
        mult_season=rows.mult_season[index],
        mult_error=rows.mult_error[index],
        level0=rows.level0[index],
        trend0=rows.trend0[index],
        season0=rows.season0[index],
    )


def forecast(
    y: Array, rows: Rows, horizon: int, level: float = 0.95
) -> tuple[Array, Array, Array, Array]:
    """Point forecasts, prediction intervals (``level``) and one-step residual sigma.

    Intervals: the class-1 variance ``sigma^2 (1 + sum_{j<h} c_j^2)`` with
    ``c_j = alpha + beta (phi + ... + phi^j) + gamma [j mod m = 0]`` (Hyndman et al.,
    table 6.1); for multiplicative models sigma is relative and scales the point
    forecast, the usual approximation. Returns ``(mean, lower, upper, sigma)``.
    """
    from statistics import NormalDist

    y_t = np.ascontiguousarray(y.T)
    _, fitted, (lv, tr, se), _ = run(y_t, rows, want_fitted=True)
    assert fitted is not None
    t_len = y.shape[1]
    m = se.shape[1]
    actual = y[rows.series]
    resid = actual - fitted
    relative = rows.mult_error
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(np.abs(fitted) > 1e-12, resid / fitted, 0.0)
    sigma = np.where(relative, np.sqrt((rel**2).mean(axis=1)), np.sqrt((resid**2).mean(axis=1)))
    steps = np.arange(1, horizon + 1)
    phi = rows.phi[:, None]
    damp = np.cumsum(phi ** steps[None, :], axis=1)  # phi + ... + phi^h
    base = lv[:, None] + damp * tr[:, None]
    slots = (t_len + steps - 1) % m
    s = se[:, slots]
    mean = np.where(rows.mult_season[:, None], base * s, base + s)
    c = rows.alpha[:, None] + rows.beta[:, None] * damp
    c = c + rows.gamma[:, None] * ((steps % m) == 0)[None, :]
    var_factor = np.ones_like(mean)
    var_factor[:, 1:] += np.cumsum(c[:, :-1] ** 2, axis=1)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    spread = z * sigma[:, None] * np.sqrt(var_factor)
    spread = np.where(relative[:, None], spread * np.abs(mean), spread)
    return mean, mean - spread, mean + spread, sigma
