"""What a policy did: KPIs over the measured window and the daily series behind them.

Units are product units and days. The window runs from the end of the warm-up to the
horizon. WIP counts units released and not yet finished, so Little's law WIP =
throughput x cycle time holds with the unit-weighted cycle time of the jobs finished
in the window (up to the jobs cut by its two ends).

Levels (WIP, finished stock, backorders) are step functions of the event times. The
table's figure is a level's time average over the window, and each point of a series
is its time average over that point's day (or days), from the same integral: the mean
of a series, weighted by its `width`, is the table's figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from production.comparisons.twin.demand import Demand

Array = NDArray[np.float64]

MAX_POINTS = 1000


@dataclass
class Jobs:
    """Jobs of one run (a container, or a transfer batch of a lot): release, finish, units,
    product index, and the work order each belongs to (one job per order by default).
    `warehouses` holds the runs of the warehouses its transfers drew on
    (`production.comparisons.twin.sources.WarehouseRun`)."""

    release: Array
    done: Array
    quantity: Array
    product: NDArray[np.intp]
    order: NDArray[np.intp] | None = None
    warehouses: list[Any] = field(default_factory=list)

    def orders_released(self, start: float, end: float) -> int:
        released = (self.release >= start) & (self.release <= end)
        if self.order is None:
            return int(released.sum())
        return len(np.unique(self.order[released]))

    def order_lead_times(self, start: float, end: float) -> Array:
        """Each work order's own lead time, release to its last part done, for the orders
        finished in [start, end]."""
        if self.order is None:
            release, done = self.release, self.done
        else:
            count = int(self.order.max()) + 1 if len(self.order) else 0
            release = np.full(count, np.inf)
            done = np.full(count, -np.inf)
            np.minimum.at(release, self.order, self.release)
            np.maximum.at(done, self.order, self.done)
        finished = (done >= start) & (done <= end)
        return (done - release)[finished]


@dataclass(frozen=True)
class Step:
    """A level over time: `initial` until times[0], then levels[k] from times[k] on."""

    times: Array
    levels: Array
    initial: float

    @classmethod
    def of_changes(cls, times: Array, changes: Array, initial: float) -> Step:
        order = np.argsort(times, kind="stable")
        return cls(times[order], initial + np.cumsum(changes[order]), initial)

    def _knots(self) -> tuple[Array, Array]:
        return (
            np.concatenate(([0.0], np.maximum(self.times, 0.0))),
            np.concatenate(([self.initial], self.levels)),
        )

    def integral(self, points: Array) -> Array:
        """The integral of the level from 0 to each of `points`."""
        t, v = self._knots()
        at = np.concatenate(([0.0], np.cumsum(v[:-1] * np.diff(t))))
        k = np.searchsorted(t, points, side="right") - 1
        return at[k] + v[k] * (points - t[k])

    def mean(self, start: float, end: float) -> float:
        a, b = self.integral(np.asarray([start, end], dtype=float))
        return float((b - a) / (end - start))

    def peak(self, start: float, end: float) -> float:
        t, v = self._knots()
        at_start = v[np.searchsorted(t, start, side="right") - 1]
        inside = (self.times >= start) & (self.times <= end)
        return float(max(at_start, self.levels[inside].max())) if inside.any() else float(at_start)


def _net_changes(
    jobs: Jobs, demand: Demand, p: int, initial: float
) -> tuple[Array, Array, Array, NDArray[np.intp]]:
    """Net stock (supply - demand) of product p after each of its events, in time order."""
    mine = jobs.product == p
    times = np.concatenate((jobs.done[mine], demand.times))
    delta = np.concatenate((jobs.quantity[mine], -demand.quantities))
    # At equal times supply lands first, so a container arriving with an order serves it.
    order = np.lexsort((-delta, times))
    net = initial + np.cumsum(delta[order])
    return times[order], net, delta[order], order


def _served_at(jobs: Jobs, demand: Demand, p: int, initial: float) -> Array:
    """When supply caught up with cumulative demand, for each order of product p."""
    q = jobs.quantity
    mine = jobs.product == p
    supply_t = np.sort(jobs.done[mine])
    supply_q = q[mine][np.argsort(jobs.done[mine], kind="stable")]
    supply_cum = initial + np.cumsum(supply_q)
    need = np.cumsum(demand.quantities) - 1e-9
    served_at = np.full(len(need), np.inf)
    covered = need <= initial
    served_at[covered] = -np.inf
    k = np.searchsorted(supply_cum, need[~covered], side="left")
    ok = k < len(supply_t)
    tmp = served_at[~covered]
    tmp[ok] = supply_t[k[ok]]
    served_at[~covered] = tmp
    return served_at


def _levels(
    jobs: Jobs, demands: Sequence[Demand], initial_stock: Sequence[float], T: float
) -> tuple[Step, list[Step], list[Step]]:
    """The step functions behind the levels: WIP, and finished stock and backorders per product."""
    q = jobs.quantity
    wip = Step.of_changes(np.concatenate((jobs.release, jobs.done)), np.concatenate((q, -q)), 0.0)
    fg, bo = [], []
    for p, demand in enumerate(demands):
        in_horizon = demand.times <= T
        d = Demand(demand.times[in_horizon], demand.quantities[in_horizon])
        times, net, _, _ = _net_changes(jobs, d, p, float(initial_stock[p]))
        fg.append(Step(times, np.maximum(net, 0.0), max(float(initial_stock[p]), 0.0)))
        bo.append(Step(times, np.maximum(-net, 0.0), 0.0))
    return wip, fg, bo


def _total(steps: list[Step]) -> Step:
    """The sum of several levels (for the peak of all products together)."""
    if not steps:
        return Step(np.zeros(0), np.zeros(0), 0.0)
    times = np.concatenate([s.times for s in steps])
    changes = np.concatenate([np.diff(np.concatenate(([s.initial], s.levels))) for s in steps])
    return Step.of_changes(times, changes, float(sum(s.initial for s in steps)))


def policy_metrics(
    jobs: Jobs,
    demands: Sequence[Demand],
    initial_stock: Sequence[float],
    horizon: float,
    warmup: float = 0.0,
    *,
    series: bool = True,
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """KPIs and daily series of one run, measured from the end of `warmup` to `horizon`
    (no series with `series=False`)."""
    T, w = float(horizon), float(warmup)
    span = T - w
    finished = (jobs.done <= T) & (jobs.done >= w)
    q = jobs.quantity
    wip_level, fg_levels, bo_levels = _levels(jobs, demands, initial_stock, T)
    made = float(q[finished].sum())
    throughput = made / span
    cycle = (jobs.done - jobs.release)[finished]
    cycle_mean = float(np.average(cycle, weights=q[finished])) if finished.any() else 0.0
    cycle_p90 = float(np.quantile(cycle, 0.9)) if finished.any() else 0.0
    order_times = jobs.order_lead_times(w, T)

    demanded = immediate = 0.0
    waits: list[Array] = []
    for p, demand in enumerate(demands):
        in_horizon = demand.times <= T
        d = Demand(demand.times[in_horizon], demand.quantities[in_horizon])
        times, net, delta, _ = _net_changes(jobs, d, p, float(initial_stock[p]))
        # Fill rate: what stock covered when each order came (backorders go first).
        is_demand = (delta < 0) & (times >= w)
        before = (net - delta)[is_demand]
        size = -delta[is_demand]
        immediate += float(np.clip(before, 0, size).sum())
        demanded += float(size.sum())
        # Customer lead time: when supply caught up with cumulative demand.
        served_at = _served_at(jobs, d, p, float(initial_stock[p]))
        waits.append(np.maximum(served_at - d.times, 0.0)[d.times >= w])

    wip = wip_level.mean(w, T)
    wait = np.concatenate(waits) if waits else np.zeros(0)
    finite = np.isfinite(wait)
    metrics = {
        "throughput_per_day": throughput,
        "wip_mean": wip,
        "cycle_time_mean_days": cycle_mean,
        "cycle_time_p90_days": cycle_p90,
        "order_lead_time_mean_days": float(order_times.mean()) if len(order_times) else 0.0,
        "littles_law_gap": abs(wip - throughput * cycle_mean) / wip if wip > 0 else 0.0,
        "fg_inventory_mean": sum(s.mean(w, T) for s in fg_levels),
        "fg_inventory_max": _total(fg_levels).peak(w, T),
        "lead_time_mean_days": float(wait[finite].mean()) if finite.any() else 0.0,
        "lead_time_p90_days": float(np.quantile(wait[finite], 0.9)) if finite.any() else 0.0,
        "fill_rate": immediate / demanded if demanded > 0 else 1.0,
        "backorders_mean": sum(s.mean(w, T) for s in bo_levels),
        "backorders_max": _total(bo_levels).peak(w, T),
        "units_backordered": demanded - immediate,
        "orders_unfilled_at_end": int((~finite).sum()),
        "units_demanded": demanded,
        "units_made": made,
        "overproduction": max(0.0, made - demanded),
        "work_orders_released": jobs.orders_released(w, T),
    }
    if not series:
        return metrics, {}
    return metrics, _daily_series(jobs, demands, wip_level, fg_levels, bo_levels, w, T)


def _daily_series(
    jobs: Jobs,
    demands: Sequence[Demand],
    wip: Step,
    fg: list[Step],
    bo: list[Step],
    start: float,
    end: float,
) -> dict[str, list[float]]:
    """Each point is `width` days from `day`: the levels' time averages over them and the
    cumulative counts at their end (at most ~1000 points)."""
    step = max(1, int(np.ceil((end - start) / MAX_POINTS)))
    edges = np.append(np.arange(start, end, step, dtype=float), end)
    width = np.diff(edges)

    def averaged(levels: list[Step]) -> Array:
        total = np.zeros(len(width))
        for s in levels:
            total += np.diff(s.integral(edges)) / width
        return total

    ends = edges[1:]
    q = jobs.quantity
    order = np.argsort(jobs.release, kind="stable")
    released = np.concatenate(([0.0], np.cumsum(q[order])))[
        np.searchsorted(jobs.release[order], ends, side="right")
    ]
    order = np.argsort(jobs.done, kind="stable")
    completed = np.concatenate(([0.0], np.cumsum(q[order])))[
        np.searchsorted(jobs.done[order], ends, side="right")
    ]
    demanded = np.zeros(len(ends))
    for demand in demands:
        cum = np.concatenate(([0.0], np.cumsum(demand.quantities)))
        demanded += cum[np.searchsorted(demand.times, ends, side="right")]
    r = lambda a: [round(float(x), 3) for x in a]  # noqa: E731
    return {
        "day": r(edges[:-1]),
        "width": r(width),
        "wip": r(averaged([wip])),
        "fg_inventory": r(averaged(fg)),
        "backorders": r(averaged(bo)),
        "cum_demanded": r(demanded),
        "cum_released": r(released),
        "cum_completed": r(completed),
    }
