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

Each row of the state arrays is one (series, model, parameters) triple, so every
candidate model of a batch of equal-length series runs in one pass; the estimation of the
parameters (maximum likelihood) is in ``ets_fit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product as cartesian
from statistics import NormalDist

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
