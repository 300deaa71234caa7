"""Intermittent demand: Croston, Croston-SBA and TSB, vectorised over series. No Django.

Used only for intermittent series (``is_intermittent``): a series with no zero bucket is
never forecast by the Croston family, whatever it scores.

* Croston: exponential smoothing of the non-zero sizes ``z`` and of the intervals ``p``
  between them (both started at the first demand, as statsforecast does); rate ``z / p``.
* SBA: Croston times ``1 - alpha / 2`` (0.95 at alpha 0.1), Syntetos and Boylan's
  correction of Croston's bias.
* TSB (Teunter, Syntetos and Babai): the size ``z`` smoothed on demand buckets and the
  demand probability ``d`` smoothed every bucket; rate ``d x z``. Unlike Croston it
  decays towards zero while no demand comes, so an obsolete item's forecast fades.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from production.planning.forecasting.methods import SBA_FACTOR, croston_sba_states

Array = NDArray[np.float64]

INTERMITTENT_METHODS: tuple[str, ...] = ("croston_sba", "croston", "tsb")  # simplest last
ADI_CUTOFF = 1.32  # Syntetos-Boylan: average demand interval above this is intermittent
TSB_ALPHA_SIZE = 0.1
TSB_ALPHA_PROBABILITY = 0.1


def is_intermittent(y: Array) -> NDArray[np.bool_]:
    """Series with zero buckets whose average interval between demands exceeds 1.32."""
    nonzero = (y > 0).sum(axis=1)
    adi = np.where(nonzero > 0, y.shape[1] / np.maximum(nonzero, 1), np.inf)
    has_zero = (y <= 0).any(axis=1)
    return np.asarray(has_zero & (adi > ADI_CUTOFF))


def tsb_rates(
    y: Array, alpha_size: float = TSB_ALPHA_SIZE, alpha_probability: float = TSB_ALPHA_PROBABILITY
) -> Array:
    """TSB's rate ``d x z`` after each bucket, ``(n, T)``; zero before the first demand."""
    n, t_len = y.shape
    z = np.full(n, np.nan)
    d = np.full(n, np.nan)
    out = np.zeros((n, t_len))
    yt = np.ascontiguousarray(y.T)
    for t in range(t_len):
        demand = yt[t] > 0
        first = demand & np.isnan(z)
        z = np.where(first, yt[t], np.where(demand, z + alpha_size * (yt[t] - z), z))
        occurred = demand.astype(np.float64)
        d = np.where(first, 1.0, d + alpha_probability * (occurred - d))
        out[:, t] = np.nan_to_num(d * z, nan=0.0)
    return out


def rates(y: Array, method: str) -> Array:
    """Each method's forecast rate after every bucket, ``(n, T)``."""
    if method == "tsb":
        return tsb_rates(y)
    z, p = croston_sba_states(y)
    factor = SBA_FACTOR if method == "croston_sba" else 1.0
    return np.asarray(np.nan_to_num(factor * z / p, nan=0.0), dtype=np.float64)
