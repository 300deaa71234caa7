"""The dashboard's arithmetic on plain numbers (no Django): quantiles, a lead-time histogram
with readable bins, and Factory Physics' throughput and cycle-time curves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MIN_SAMPLES = 5  # below this many work orders, a mean, a quantile or a histogram says so
HIST_BINS = 12
CURVE_POINTS = 41


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def quantile(values: list[float], q: float) -> float | None:
    """The nearest-rank quantile (the smallest value with at least q of the values at or
    below it); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _nice_width(span: float, bins: int) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that fits `span` in `bins` bins."""
    raw = span / bins
    power = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= raw * (1 - 1e-9):
            return step * power
    return 10 * power  # pragma: no cover (the loop ends at 10)


def _decimals(width: float) -> int:
    for places in range(9):
        if abs(round(width, places) - width) < width * 1e-6:
            return places
    return 9


@dataclass(frozen=True)
class Bins:
    """`count` bins of `width` from `start`; edges print with `places` decimals."""

    start: float
    width: float
    count: int
    places: int

    def index(self, value: float) -> int:
        return min(self.count - 1, max(0, int((value - self.start) / self.width + 1e-9)))


def histogram_bins(low: float, high: float, bins: int = HIST_BINS) -> Bins:
    """At most `bins` bins of one readable width (1, 2, 2.5 or 5 times a power of ten) from
    a multiple of it at or below `low`; the last bin is closed. Labels print the edges with
    as many decimals as the width needs, so no two read alike."""
    span = high - low if high > low else max(abs(high), 1e-3)
    width = _nice_width(span, bins - 1)  # the start below `low` may take one more bin
    start = math.floor(low / width + 1e-9) * width
    count = max(1, math.ceil((high - start) / width - 1e-9))
    return Bins(start, width, count, _decimals(width))


def histogram_layout(layout: Bins, counts: list[int]) -> dict[str, Any]:
    edges = [round(layout.start + i * layout.width, layout.places) for i in range(layout.count + 1)]
    places = layout.places
    labels = [f"{edges[i]:.{places}f}\u2013{edges[i + 1]:.{places}f}" for i in range(layout.count)]
    return {"edges": edges, "counts": [float(c) for c in counts], "labels": labels}


def histogram(values: list[float], bins: int = HIST_BINS) -> dict[str, Any]:
    """The histogram of `values` on `histogram_bins` (the dashboard counts in SQL on the
    same bins)."""
    if not values:
        return {"edges": [], "counts": [], "labels": []}
    layout = histogram_bins(min(values), max(values), bins)
    counts = [0] * layout.count
    for v in values:
        counts[layout.index(v)] += 1
    return histogram_layout(layout, counts)


def factory_physics(*, rb: float, t0: float, q: float, top: float) -> dict[str, list[float]]:
    """Best case, practical worst case and worst case of Factory Physics (Hopp & Spearman,
    sec. 7.3), in units: bottleneck rate `rb` (units/day), raw process time `t0` of a job
    (days), jobs of `q` units, WIP `w` from one job to `top` units, W0 = rb t0.

        best case             TH = min(w / t0, rb)        CT = max(t0, w / rb)
        practical worst case  TH = w rb / (W0 + w - q)    CT = t0 + (w - q) / rb
        worst case            TH = q / t0                 CT = w t0 / q

    With t0 >= q / rb (a job cannot pass the bottleneck faster than its rate) the curves
    are ordered for every w >= q: worst <= PWC <= best in throughput, the reverse in cycle
    time. The caller guarantees that bound.
    """
    w0 = rb * t0
    points = [q + (top - q) * i / (CURVE_POINTS - 1) for i in range(CURVE_POINTS)]
    return {
        "wip": [round(w, 3) for w in points],
        "best_th": [round(min(w / t0, rb), 4) for w in points],
        "pwc_th": [round(w * rb / (w0 + w - q), 4) for w in points],
        "worst_th": [round(q / t0, 4) for _ in points],
        "best_ct": [round(max(t0, w / rb), 4) for w in points],
        "pwc_ct": [round(t0 + (w - q) / rb, 4) for w in points],
        "worst_ct": [round(w * t0 / q, 4) for w in points],
    }


def little_parameters(
    *,
    rb: float,
    container_mean: float | None,
    job_size: float | None,
    process_time: float | None,
) -> dict[str, Any]:
    """The curves' job size and raw process time, from the line's own parameters unless
    enough work orders measured them (`job_size`, `process_time`: None when too few):

    - q, the job size: the mean quantity of the completed orders, else the mean container
      quantity of the line's products, else 1 unit;
    - t0, the raw process time of a job: the mean start-to-done time of the completed
      orders, never below q / rb (the time the bottleneck needs for the job); without
      that measurement, q / rb itself.
    """
    q = job_size or container_mean or 1.0
    floor = q / rb
    t0 = max(process_time, floor) if process_time is not None else floor
    return {
        "rb": rb,
        "q": q,
        "q_source": "orders" if job_size else ("containers" if container_mean else "unit"),
        "t0": t0,
        "t0_source": "orders" if process_time is not None and process_time >= floor else "capacity",
        "w0": rb * t0,
    }
