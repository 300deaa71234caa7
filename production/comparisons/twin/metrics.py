"""What a policy did: KPIs over the horizon and the daily series behind them.

Units are product units and days. WIP counts units released and not yet finished,
so Little's law WIP = throughput x cycle time holds with the unit-weighted cycle
time of the jobs finished in the horizon (up to the jobs cut by its two ends).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from production.comparisons.twin.demand import Demand

Array = NDArray[np.float64]

MAX_POINTS = 1000


@dataclass
class Jobs:
    """Jobs of one run (a container, or a transfer batch of a lot): release, finish, units,
    product index, and the work order each belongs to (one job per order by default)."""

    release: Array
    done: Array
    quantity: Array
    product: NDArray[np.intp]
    order: NDArray[np.intp] | None = None

    def orders_released(self, horizon: float) -> int:
        released = self.release <= horizon
        if self.order is None:
            return int(released.sum())
        return len(np.unique(self.order[released]))


def _time_average(times: Array, levels: Array, initial: float, horizon: float) -> float:
    """Average over [0, horizon] of a step function: `initial` until times[0], then levels."""
    t = np.clip(np.concatenate(([0.0], times, [horizon])), 0, horizon)
    values = np.concatenate(([initial], levels))
    return float(np.sum(values * np.diff(t)) / horizon)


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


def policy_metrics(
    jobs: Jobs,
    demands: Sequence[Demand],
    initial_stock: Sequence[float],
    horizon: float,
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """KPIs and daily series of one run."""
    T = float(horizon)
    finished = jobs.done <= T
    q = jobs.quantity
    wip = float(
        np.sum(q * np.clip(np.minimum(jobs.done, T) - np.minimum(jobs.release, T), 0, None)) / T
    )
    made = float(q[finished].sum())
    throughput = made / T
    cycle = (jobs.done - jobs.release)[finished]
    cycle_mean = float(np.average(cycle, weights=q[finished])) if finished.any() else 0.0
    cycle_p90 = float(np.quantile(cycle, 0.9)) if finished.any() else 0.0

    fg_deltas: list[tuple[Array, Array]] = []
    bo_deltas: list[tuple[Array, Array]] = []
    demanded = immediate = 0.0
    waits: list[Array] = []
    fg_mean = bo_mean = 0.0
    for p, demand in enumerate(demands):
        in_horizon = demand.times <= T
        d = Demand(demand.times[in_horizon], demand.quantities[in_horizon])
        times, net, delta, _ = _net_changes(jobs, d, p, float(initial_stock[p]))
        fg = np.maximum(net, 0.0)
        bo = np.maximum(-net, 0.0)
        fg0, bo0 = max(initial_stock[p], 0.0), 0.0
        fg_mean += _time_average(times, fg, fg0, T)
        bo_mean += _time_average(times, bo, bo0, T)
        fg_deltas.append((times, np.diff(np.concatenate(([fg0], fg)))))
        bo_deltas.append((times, np.diff(np.concatenate(([bo0], bo)))))
        # Fill rate: what stock covered when each order came (backorders go first).
        is_demand = delta < 0
        before = (net - delta)[is_demand]
        size = -delta[is_demand]
        immediate += float(np.clip(before, 0, size).sum())
        demanded += float(size.sum())
        # Customer lead time: when supply caught up with cumulative demand.
        mine = jobs.product == p
        supply_t = np.sort(jobs.done[mine])
        supply_q = q[mine][np.argsort(jobs.done[mine], kind="stable")]
        supply_cum = float(initial_stock[p]) + np.cumsum(supply_q)
        need = np.cumsum(d.quantities) - 1e-9
        served_at = np.full(len(need), np.inf)
        covered = need <= float(initial_stock[p])
        served_at[covered] = -np.inf
        k = np.searchsorted(supply_cum, need[~covered], side="left")
        ok = k < len(supply_t)
        tmp = served_at[~covered]
        tmp[ok] = supply_t[k[ok]]
        served_at[~covered] = tmp
        waits.append(np.maximum(served_at - d.times, 0.0))

    fg_max = _merged_max(fg_deltas, float(sum(max(s, 0.0) for s in initial_stock)))
    bo_max = _merged_max(bo_deltas, 0.0)
    wait = np.concatenate(waits) if waits else np.zeros(0)
    finite = np.isfinite(wait)
    metrics = {
        "throughput_per_day": throughput,
        "wip_mean": wip,
        "cycle_time_mean_days": cycle_mean,
        "cycle_time_p90_days": cycle_p90,
        "littles_law_gap": abs(wip - throughput * cycle_mean) / wip if wip > 0 else 0.0,
        "fg_inventory_mean": fg_mean,
        "fg_inventory_max": fg_max,
        "lead_time_mean_days": float(wait[finite].mean()) if finite.any() else 0.0,
        "lead_time_p90_days": float(np.quantile(wait[finite], 0.9)) if finite.any() else 0.0,
        "fill_rate": immediate / demanded if demanded > 0 else 1.0,
        "backorders_mean": bo_mean,
        "backorders_max": bo_max,
        "units_backordered": demanded - immediate,
        "orders_unfilled_at_end": int((~finite).sum()),
        "units_demanded": demanded,
        "units_made": made,
        "overproduction": max(0.0, made - demanded),
        "work_orders_released": jobs.orders_released(T),
    }
    return metrics, _daily_series(jobs, demands, initial_stock, T)


def _merged_max(deltas: list[tuple[Array, Array]], initial: float) -> float:
    if not deltas:
        return initial
    times = np.concatenate([t for t, _ in deltas])
    change = np.concatenate([d for _, d in deltas])
    if not len(times):
        return initial
    order = np.argsort(times, kind="stable")
    return float(max(initial, (initial + np.cumsum(change[order])).max()))


def _daily_series(
    jobs: Jobs, demands: Sequence[Demand], initial_stock: Sequence[float], T: float
) -> dict[str, list[float]]:
    """End-of-day levels and cumulative counts, day 0 being the start (at most ~1000 points)."""
    step = max(1, int(np.ceil(T / MAX_POINTS)))
    days = np.arange(0, int(np.floor(T)) + 1, step, dtype=float)
    q = jobs.quantity
    rel = np.sort(jobs.release)
    rel_cum = np.concatenate(([0.0], np.cumsum(q[np.argsort(jobs.release, kind="stable")])))
    don = np.argsort(jobs.done, kind="stable")
    done_cum = np.concatenate(([0.0], np.cumsum(q[don])))
    released = rel_cum[np.searchsorted(rel, days, side="right")]
    completed = done_cum[np.searchsorted(jobs.done[don], days, side="right")]
    fg = np.zeros_like(days)
    bo = np.zeros_like(days)
    demanded = np.zeros_like(days)
    for p, demand in enumerate(demands):
        mine = jobs.product == p
        t = np.sort(jobs.done[mine])
        sup = np.concatenate(
            ([0.0], np.cumsum(q[mine][np.argsort(jobs.done[mine], kind="stable")]))
        )
        dem = np.concatenate(([0.0], np.cumsum(demand.quantities)))
        s = float(initial_stock[p]) + sup[np.searchsorted(t, days, side="right")]
        dd = dem[np.searchsorted(demand.times, days, side="right")]
        fg += np.maximum(s - dd, 0)
        bo += np.maximum(dd - s, 0)
        demanded += dd
    r = lambda a: [round(float(x), 3) for x in a]  # noqa: E731
    return {
        "day": r(days),
        "wip": r(released - completed),
        "fg_inventory": r(fg),
        "backorders": r(bo),
        "cum_demanded": r(demanded),
        "cum_released": r(released),
        "cum_completed": r(completed),
    }
