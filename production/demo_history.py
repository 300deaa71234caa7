"""Synthetic daily demand for the demo factory (numpy, no Django).

A product's daily demand = base level x trend x weekday profile x promotions,
drawn with over-dispersed (gamma-Poisson) noise, so the series looks like real
order intake: growing or shrinking, weekly rhythm, a few promotion spikes, and
days with nothing. A given seed always gives the same series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Monday .. Sunday: busy early in the week, a thin Saturday, closed on Sunday.
WORKWEEK_PROFILE = (1.25, 1.15, 1.05, 1.0, 0.9, 0.35, 0.0)


@dataclass(frozen=True)
class DemandProfile:
    base_per_day: float
    trend_per_year: float = 0.0
    """Relative change over a year: 0.2 is 20 % more demand at the end than at the start."""
    weekday_profile: tuple[float, ...] = WORKWEEK_PROFILE
    promotions: int = 3
    """Promotion periods in the year, each one to two weeks of raised demand."""
    promotion_uplift: tuple[float, float] = (1.4, 2.2)
    dispersion: float = 8.0
    """Gamma shape of the day-to-day noise: lower is noisier."""


@dataclass(frozen=True)
class DemandSeries:
    quantities: np.ndarray
    """Whole units per day, oldest first."""
    promotion_days: np.ndarray
    """Boolean mask of the days inside a promotion."""


def daily_demand(
    profile: DemandProfile, *, days: int, first_weekday: int, seed: int
) -> DemandSeries:
    """`days` daily quantities starting on a day whose weekday is `first_weekday` (Mon=0)."""
    if days <= 0:
        raise ValueError("days must be positive")
    if len(profile.weekday_profile) != 7:
        raise ValueError("a weekday profile has 7 factors, Monday first")
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    trend = 1.0 + profile.trend_per_year * t / 365.0
    weekdays = (first_weekday + t) % 7
    weekly = np.asarray(profile.weekday_profile, dtype=float)[weekdays]

    promo = np.ones(days)
    in_promo = np.zeros(days, dtype=bool)
    for _ in range(profile.promotions):
        length = int(rng.integers(7, 15))
        start = int(rng.integers(0, max(1, days - length)))
        uplift = float(rng.uniform(*profile.promotion_uplift))
        promo[start : start + length] = np.maximum(promo[start : start + length], uplift)
        in_promo[start : start + length] = True

    mean = np.clip(profile.base_per_day * trend * weekly * promo, 0.0, None)
    # Gamma-Poisson: a Poisson draw around a mean that itself wobbles day to day.
    wobble = rng.gamma(profile.dispersion, 1.0 / profile.dispersion, size=days)
    quantities = rng.poisson(mean * wobble)
    return DemandSeries(quantities=quantities.astype(np.int64), promotion_days=in_promo)
