"""The data's own calendar: buckets (day, week, month), a season length, and a default
detected from the history. No Django.

Weeks start on Monday; months are calendar months. A daily history is summed into
buckets; the bucket that contains the last day is complete only when the day after it
starts a new bucket, so the forecast's first bucket is the one that contains ``end``.
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

BUCKETS: tuple[str, ...] = ("day", "week", "month")
SEASON_CANDIDATE = {"day": 7, "week": 52, "month": 12}
NOMINAL_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}
SEASONS_NEEDED = 2  # a season is detected only with this many full seasons, plus a few points


def bucket_start(day: date, bucket: str) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def next_bucket(start: date, bucket: str) -> date:
    if bucket == "week":
        return start + timedelta(days=7)
    if bucket == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def bucket_days(start: date, bucket: str) -> int:
    return (next_bucket(start, bucket) - start).days


def to_buckets(daily: Array, *, end: date, bucket: str) -> tuple[Array, date]:
    """Sum a daily series ending the day before ``end`` into complete buckets.

    Returns the bucket totals (oldest first; the first may start before the history,
    whose earlier days count as zero) and the start of the bucket that contains ``end``
    (the first one to forecast). Days of the incomplete bucket that holds ``end`` are
    left out: they are the current bucket, which the forecast covers.
    """
    current = bucket_start(end, bucket)
    if bucket == "day":
        return np.asarray(daily, dtype=np.float64), current
    n = int(daily.shape[0])
    first_day = end - timedelta(days=n)
    starts = []
    start = bucket_start(first_day, bucket)
    while start < current:
        starts.append(start)
        start = next_bucket(start, bucket)
    totals = np.zeros(len(starts))
    for i, s in enumerate(starts):
        lo = max(0, (s - first_day).days)
        hi = min(n, (next_bucket(s, bucket) - first_day).days)
        if hi > lo:
            totals[i] = daily[lo:hi].sum()
    return totals, current


def bucket_dates(start: date, bucket: str, count: int) -> list[date]:
    out = []
    for _ in range(count):
        out.append(start)
        start = next_bucket(start, bucket)
    return out


def daily_values(values: list[float], *, start: date, bucket: str, day: date) -> float:
    """A day's share of the forecast: its bucket's value over the bucket's length in days.

    Days past the last bucket repeat the last bucket's rate; days before ``start`` read
    the first bucket's (a stale forecast).
    """
    if not values:
        return 0.0
    if day < start:
        return float(values[0]) / bucket_days(start, bucket)
    s = start
    for value in values:
        nxt = next_bucket(s, bucket)
        if day < nxt:
            return float(value) / (nxt - s).days
        s = nxt
    last = bucket_start(day, bucket)
    return float(values[-1]) / bucket_days(last, bucket)


@dataclass(frozen=True)
class DetectedCalendar:
    bucket: str
    season_length: int
    reason: str


def detect_bucket(daily: Array, *, end: date) -> tuple[str, str]:
    """Week when every demand falls on one weekday, month when on one day of the month
    (or every one on a month's last day), else day: the ERP's own cadence."""
    n = int(daily.shape[0])
    days = [end - timedelta(days=n - int(i)) for i in np.flatnonzero(daily != 0)]
    if len(days) >= 8 and len({d.weekday() for d in days}) == 1:
        return "week", f"all {len(days)} demand days fall on {_cal.day_name[days[0].weekday()]}"
    month_ends = all(d.day == _cal.monthrange(d.year, d.month)[1] for d in days)
    if len(days) >= 4 and (len({d.day for d in days}) == 1 or month_ends):
        return "month", f"all {len(days)} demand days fall on the same day of the month"
    return "day", "demand arrives on many days"


def detect_season(y: Array, bucket: str) -> tuple[int, str]:
    """The bucket's natural season (7 days, 52 weeks, 12 months) when the history holds
    enough of it and its autocorrelation at that lag is significant (90 %, the test the
    Theta method of the M4 competition used); otherwise 1, no season."""
    m = SEASON_CANDIDATE[bucket]
    n = int(y.shape[0])
    if n < SEASONS_NEEDED * m + 4:
        return 1, f"under {SEASONS_NEEDED} seasons of {m} {bucket}s of history"
    x = y - y.mean()
    denom = float((x * x).sum())
    if denom <= 0:
        return 1, "flat history"
    acf = np.array([float((x[k:] * x[:-k]).sum()) / denom for k in range(1, m + 1)])
    limit = 1.645 * np.sqrt((1 + 2 * float((acf[:-1] ** 2).sum())) / n)
    if abs(acf[-1]) > limit:
        return m, f"autocorrelation {acf[-1]:.2f} at lag {m} (significant above {limit:.2f})"
    return 1, f"autocorrelation {acf[-1]:.2f} at lag {m} is not significant ({limit:.2f})"


def apply_overrides(
    values: list[float], *, start: date, bucket: str, overrides: dict[str, float]
) -> list[float]:
    """The forecast in force: the model's values with the planner's per bucket start."""
    if not overrides:
        return [float(v) for v in values]
    starts = bucket_dates(start, bucket, len(values))
    return [float(overrides.get(s.isoformat(), v)) for s, v in zip(starts, values, strict=True)]
