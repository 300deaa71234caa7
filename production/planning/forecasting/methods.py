"""Simple forecast methods, vectorised over products: every series is one row of a 2-D array.

No Django here, only numpy. Shapes: ``y`` is ``(n_series, n_buckets)``, a forecast is
``(n_series, horizon)``. The ETS family is in ``ets_models``, the Croston family's TSB in
``intermittent``; the twin's push planner uses ``moving_average``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

SBA_FACTOR = 0.95
CROSTON_ALPHA = 0.1


def naive(y: Array, horizon: int) -> Array:
    """Tomorrow looks like today."""
    return np.repeat(y[:, -1:], horizon, axis=1)


def seasonal_naive(y: Array, horizon: int, season: int) -> Array:
    """Repeat the last full season (the same weekday last week, for daily data)."""
    last = y[:, -season:]
    reps = -(-horizon // season)
    return np.tile(last, (1, reps))[:, :horizon]


def moving_average(y: Array, horizon: int, window: int) -> Array:
    """The mean of the last ``window`` days, flat over the horizon."""
    mean = y[:, -min(window, y.shape[1]) :].mean(axis=1, keepdims=True)
    return np.repeat(mean, horizon, axis=1)


def croston_sba_states(y: Array, alpha: float = CROSTON_ALPHA) -> tuple[Array, Array]:
    """Croston's smoothed demand size ``z`` and interval ``p`` after each day.

    Both are simple exponential smoothing over the days with demand, started at the
    first demand (size and interval since the start of the series), as statsforecast
    does. Returns ``(z, p)`` of shape ``(n_series, n_days)``; NaN before the first demand.
    """
    n, t_len = y.shape
    z_hist = np.full((n, t_len), np.nan)
    p_hist = np.full((n, t_len), np.nan)
    z = np.full(n, np.nan)
    p = np.full(n, np.nan)
    since = np.zeros(n)
    yt = np.ascontiguousarray(y.T)
    for t in range(t_len):
        since += 1.0
        demand = yt[t] > 0
        first = demand & np.isnan(z)
        later = demand & ~first
        z = np.where(first, yt[t], np.where(later, z + alpha * (yt[t] - z), z))
        p = np.where(first, since, np.where(later, p + alpha * (since - p), p))
        since = np.where(demand, 0.0, since)
        z_hist[:, t] = z
        p_hist[:, t] = p
    return z_hist, p_hist


def croston_sba(y: Array, horizon: int) -> Array:
    """Croston with the Syntetos-Boylan correction: 0.95 x size / interval, flat.

    A series with no demand at all is forecast at zero.
    """
    z, p = croston_sba_states(y)
    rate = SBA_FACTOR * z[:, -1] / p[:, -1]
    rate = np.nan_to_num(rate, nan=0.0)
    return np.repeat(rate[:, None], horizon, axis=1)


__all__ = [
    "Array",
    "croston_sba",
    "croston_sba_states",
    "moving_average",
    "naive",
    "seasonal_naive",
]
