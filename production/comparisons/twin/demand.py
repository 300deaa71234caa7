"""Demand streams: replayed from the history or generated, and the kanban signals they raise."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from production.comparisons.twin.distributions import Dist

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Demand:
    """Demand of one product: event times (days from the start, sorted) and quantities."""

    times: Array
    quantities: Array

    @property
    def total(self) -> float:
        return float(self.quantities.sum())

    def daily(self, days: int) -> Array:
        """Quantity demanded in each day of the horizon."""
        day = np.minimum(self.times.astype(int), days - 1)
        return np.bincount(day, weights=self.quantities, minlength=days)[:days].astype(float)


def poisson_demand(rng: np.random.Generator, *, rate_per_day: float, days: int) -> Demand:
    """Unit demands arriving as a Poisson process of `rate_per_day`."""
    count = rng.poisson(rate_per_day * days)
    times = np.sort(rng.uniform(0, days, count))
    return Demand(times, np.ones(count))


def daily_demand(rng: np.random.Generator, *, dist: Dist, days: int) -> Demand:
    """One order a day, at a random time of the day, its size drawn from `dist`."""
    sizes = np.maximum(dist.sample(rng, days), 0.0)
    times = np.arange(days) + rng.uniform(0, 1, days)
    keep = sizes > 0
    return Demand(times[keep], sizes[keep])


def replayed_demand(
    rng: np.random.Generator,
    *,
    daily: list[float] | None = None,
    events: list[list[float]] | None = None,
) -> Demand:
    """Demand from the history: exact events `[[day, quantity], ...]`, or daily totals
    placed at a random time of their day."""
    if events:
        arr = np.asarray(events, dtype=float).reshape(-1, 2)
        order = np.argsort(arr[:, 0], kind="stable")
        return Demand(arr[order, 0], arr[order, 1])
    sizes = np.asarray(daily or [], dtype=float)
    times = np.arange(len(sizes)) + rng.uniform(0, 1, len(sizes))
    keep = sizes > 0
    return Demand(times[keep], sizes[keep])


def container_signals(demand: Demand, container: float) -> Array:
    """When demand has claimed each whole container: the k-th (0-based) signal is the
    first time cumulative demand reaches (k + 1) x C. Backordered demand claims too."""
    cumulative = np.cumsum(demand.quantities)
    count = int(np.floor(cumulative[-1] / container + 1e-9)) if len(cumulative) else 0
    thresholds = (np.arange(count) + 1) * container - 1e-9
    return demand.times[np.searchsorted(cumulative, thresholds, side="left")]
