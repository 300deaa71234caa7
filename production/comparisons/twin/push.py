"""The push policy: once a day the planner of the live push lines
(`production.planning.core`) nets a moving-average forecast plus safety stock against
stock, open orders and backorders over the planned lead time, cuts a lot and releases
it, whatever the demand turns out to be. `advance_demand_days` of firm orders replace
the forecast. A lot moves through the line in containers (transfer batches), as kanban
work does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from production.comparisons.twin import sources
from production.comparisons.twin.demand import Demand
from production.comparisons.twin.distributions import sample_sums_in_groups
from production.comparisons.twin.events import EventLine
from production.comparisons.twin.line import open_line
from production.comparisons.twin.metrics import Jobs
from production.comparisons.twin.stations import ProductModel, Station, _single_machines
from production.planning.core import lot_sizes, net_requirements, safety_stocks
from production.planning.forecasting.methods import moving_average

Array = NDArray[np.float64]

WINDOW_CHUNK = 1 << 15  # forecast window values held at once (in cache)


@dataclass(frozen=True)
class PushPlan:
    service_level: float = 0.95
    lot_sizing: str = "containers"
    fixed_lot_quantity: float | None = None
    setup_cost: float = 50.0
    holding_cost_per_unit_day: float = 0.01
    forecast_window_days: int = 28
    advance_demand_days: int = 0
    review_days: int = 1


def _transfer_batches(quantity: float, container: float) -> list[float]:
    """One lot cut into transfer batches (see `_cut_lots`)."""
    _, parts = _cut_lots(np.asarray([quantity]), np.asarray([container]))
    return parts.tolist()


def _cut_lots(lots: Array, containers: Array) -> tuple[NDArray[np.intp], Array]:
    """Each lot cut into whole containers and a last part-full one: the lot of every
    batch and its quantity, lot after lot."""
    full = np.floor_divide(lots, containers)
    rest = lots - full * containers
    has_rest = rest > 1e-9
    count = full.astype(np.intp) + has_rest
    lot = np.repeat(np.arange(len(lots)), count)
    quantity = containers[lot]
    quantity[np.cumsum(count)[has_rest] - 1] = rest[has_rest]
    return lot, quantity


def push(
    rng: np.random.Generator,
    stations: Sequence[Station],
    products: Sequence[ProductModel],
    demands: Sequence[Demand],
    plan: PushPlan,
    initial_stock: Sequence[float],
    horizon_days: int,
    history: Array | None = None,
) -> tuple[Jobs, list[float], dict[str, float]]:
    """Jobs released by the daily push planner, and how far its forecast was off.

    `history` is daily demand before the horizon `(products, days)`; without it the
    planner starts from the first `forecast_window_days` of the horizon (a look-ahead
    the comparison reports).

    The planner nets on hand + open orders - backorders, the inventory position. A lot
    that finishes moves units from open orders to stock and leaves the position as it
    was, so the plan does not depend on when lots finish: every morning's lots are
    planned first, then run through the line in one pass.
    """
    n = len(products)
    daily = np.stack([d.daily(horizon_days) for d in demands]) if n else np.zeros((0, horizon_days))
    window = plan.forecast_window_days
    seed_history = history if history is not None and history.shape[1] else daily[:, :window]
    forecast, sigma = _morning_forecasts(seed_history, daily, window)
    lots = _push_lots(plan, products, demands, forecast, sigma, daily, initial_stock)
    jobs = _run_lots(rng, stations, products, lots)
    err = (daily.T - forecast).ravel()
    forecast_error = {
        "forecast_rmse_per_day": float(np.sqrt(np.mean(err**2))) if err.size else 0.0,
        "forecast_mean_daily_demand": float(daily.mean()) if daily.size else 0.0,
    }
    return jobs, [float(s) for s in initial_stock], forecast_error


def _morning_forecasts(seed_history: Array, daily: Array, window: int) -> tuple[Array, Array]:
    """Each morning's moving-average forecast and the spread of the same days `(days,
    products)`, over the last `window` days seen (the seed history, then the horizon)."""
    n, days = daily.shape
    seen = np.concatenate((seed_history, daily), axis=1)
    width = seed_history.shape[1]
    forecast = np.empty((days, n))
    sigma = np.zeros((days, n))
    short = min(days, max(0, window - width))  # mornings that have seen fewer days
    for day in range(short):
        past = seen[:, : width + day]
        forecast[day] = moving_average(past, 1, window)[:, 0]
        if past.shape[1] > 1:
            sigma[day] = past.std(axis=1, ddof=1)
    if short == days:
        return forecast, sigma
    # The other mornings all at once, in chunks of days to bound the memory.
    windows = np.lib.stride_tricks.sliding_window_view(seen, window, axis=1)
    step = max(1, WINDOW_CHUNK // max(1, n * window))
    for start in range(short, days, step):
        stop = min(start + step, days)
        past = windows[:, width + start - window : width + stop - window].reshape(-1, window)
        mean = moving_average(past, 1, window)
        forecast[start:stop] = mean[:, 0].reshape(n, stop - start).T
        if window > 1:
            # past.std(axis=1, ddof=1), reusing the mean
            spread = past - mean
            spread *= spread
            variance = spread.sum(axis=1) / (window - 1)
            sigma[start:stop] = np.sqrt(variance).reshape(n, stop - start).T
    return forecast, sigma


def _push_lots(
    plan: PushPlan,
    products: Sequence[ProductModel],
    demands: Sequence[Demand],
    forecast: Array,
    sigma: Array,
    daily: Array,
    initial_stock: Sequence[float],
) -> Array:
    """Every morning's lot of every product `(days, products)`, cut by the live planner's
    own arithmetic (`production.planning.core`), all products at once."""
    n, days = daily.shape
    morning = np.arange(days)
    cover = np.asarray([p.lead_time_days for p in products], dtype=float) + plan.review_days
    firm_days = np.minimum(float(plan.advance_demand_days), cover)
    unknown_days = np.maximum(cover - firm_days, 0.0)
    # Firm orders of exactly the next `firm_days` (within the horizon) replace the
    # forecast: the orders placed in [morning, morning + firm_days), by their own times.
    firm = np.zeros((days, n))
    for p, d in enumerate(demands):
        taken = np.concatenate(([0.0], np.cumsum(d.quantities)))
        until = np.minimum(morning + firm_days[p], days)
        firm[:, p] = (
            taken[np.searchsorted(d.times, until, side="left")]
            - taken[np.searchsorted(d.times, morning, side="left")]
        )
    over_horizon = firm + forecast * unknown_days
    buffer = safety_stocks(
        sigma_daily=sigma, lead_time_days=unknown_days, service_level=plan.service_level
    )
    demanded = np.zeros((days, n))
    for p, d in enumerate(demands):
        taken = np.concatenate(([0.0], np.cumsum(d.quantities)))
        demanded[:, p] = taken[np.searchsorted(d.times, morning, side="right")]
    # Only the position counts (see `push`), so it is given as if no lot had finished yet.
    stock = np.asarray(initial_stock, dtype=float) - demanded
    on_hand = np.maximum(stock, 0.0)
    backorders = np.maximum(-stock, 0.0)
    containers = np.asarray([p.container_quantity for p in products], dtype=float)
    released = np.zeros(n)
    lots = np.zeros((days, n))
    for day in range(days):
        requirement = net_requirements(
            forecast_over_horizon=over_horizon[day],
            safety_stock=buffer[day],
            on_hand=on_hand[day],
            open_orders=released,
            backorders=backorders[day],
        )
        lots[day] = lot_sizes(
            requirement=requirement,
            policy=plan.lot_sizing,
            container_quantity=containers,
            fixed_quantity=plan.fixed_lot_quantity,
            daily_demand=forecast[day],
            setup_cost=plan.setup_cost,
            holding_cost_per_unit_day=plan.holding_cost_per_unit_day,
        )
        released += lots[day]
    return lots


def push_released(
    rng: np.random.Generator,
    stations: Sequence[Station],
    products: Sequence[ProductModel],
    release: Any,
    horizon_days: int,
) -> Jobs:
    """Work released whatever the demand: `release.quantity[p]` units of each product
    every `release.every_days` from day 0 (`timed`) or at the times of a Poisson process
    of `release.rate_per_day` (`poisson`), each release one order cut into containers."""
    times, product, amount = [], [], []
    for p, quantity in enumerate(release.quantity):
        if release.kind == "timed":
            at = np.arange(0.0, horizon_days, release.every_days)
        else:
            count = rng.poisson(release.rate_per_day * horizon_days)
            at = np.sort(rng.uniform(0.0, horizon_days, count))
        times.append(at)
        product.append(np.full(len(at), p, dtype=np.intp))
        amount.append(np.full(len(at), quantity))
    at = np.concatenate(times)
    order = np.argsort(at, kind="stable")
    at, of, amounts = at[order], np.concatenate(product)[order], np.concatenate(amount)[order]
    containers = np.asarray([p.container_quantity for p in products], dtype=float)
    lot, quantity = _cut_lots(amounts, containers[of])
    release_at = at[lot]
    on_line = _on_line(products, of[lot])
    line_q = quantity[on_line]
    proc = np.stack([s.unit_time.sample_sum(rng, line_q) for s in stations])
    if _single_machines(stations):
        done = open_line(release_at[on_line][None, :], proc[:, None, :])[0][0]
    else:
        done = _open_event_line(stations, release_at[on_line], proc)
    made = Jobs(release_at[on_line], done, line_q, of[lot][on_line], lot[on_line])
    return _with_bought_in(rng, products, made, release_at, of[lot], quantity, lot, on_line)


def _on_line(products: Sequence[ProductModel], product: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Which jobs the line makes (the others are bought-in orders: call-offs, transfers)."""
    made = np.asarray([p.source is None for p in products], dtype=bool)
    return made[product] if len(made) else np.zeros(len(product), dtype=bool)


def _with_bought_in(
    rng: np.random.Generator,
    products: Sequence[ProductModel],
    made: Jobs,
    release: Array,
    product: NDArray[np.intp],
    quantity: Array,
    lot: NDArray[np.intp],
    on_line: NDArray[np.bool_],
) -> Jobs:
    """The line's jobs and the bought-in lots (each a call-off or a transfer that arrives
    whole after its lead time, `production.comparisons.twin.sources`)."""
    other = ~on_line
    if not other.any():
        return made
    bought = sources.deliver(
        rng, products, release[other], product[other], quantity[other], lot[other]
    )
    return sources.merge(made, bought)


def _run_lots(
    rng: np.random.Generator,
    stations: Sequence[Station],
    products: Sequence[ProductModel],
    lots: Array,
) -> Jobs:
    """The lots `(days, products)` released each morning, cut into containers, run through
    the line: one job per container, in release order, `order` numbering its lot."""
    day, product = np.nonzero(lots > 0)
    containers = np.asarray([p.container_quantity for p in products], dtype=float)
    all_order, all_quantity = _cut_lots(lots[day, product], containers[product])
    all_release = day[all_order].astype(float)
    of = product[all_order]
    on_line = _on_line(products, of)
    order, quantity, release = all_order[on_line], all_quantity[on_line], all_release[on_line]
    # The processing times are drawn morning by morning, station by station, as the
    # planner releases them.
    per_morning = np.bincount(release.astype(np.intp))
    per_morning = per_morning[per_morning > 0]
    proc = sample_sums_in_groups(rng, [s.unit_time for s in stations], quantity, per_morning)
    if _single_machines(stations):
        done = open_line(release[None, :], proc[:, None, :])[0][0]
    else:
        done = _open_event_line(stations, release, proc)
    made = Jobs(release, done, quantity, of[on_line], order)
    return _with_bought_in(rng, products, made, all_release, of, all_quantity, all_order, on_line)


def _open_event_line(stations: Sequence[Station], release: Array, proc: Array) -> Array:
    """Parallel machines: jobs released at `release` (in that order), event by event."""
    times = proc.T.tolist()
    line = EventLine(
        [s.machines for s in stations], [list(range(len(stations)))], lambda _, j: times[j]
    )
    for t in release.tolist():
        line.run_until(t)
        line.release(0)
    line.run_until(float("inf"))
    return np.asarray([line.done_at[(0, j)] for j in range(len(release))], dtype=float)
