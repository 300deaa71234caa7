"""The three ways of releasing work onto the line, each returning the jobs it made.

- kanban: every product has a loop of N cards of C units around the line (plus, on a
  one-product line, a loop around each cell between supermarkets). A card comes back
  when demand takes its container; it releases one container of work.
- CONWIP: demand takes a container, which queues one replenishment order (FIFO over
  all products); an order enters the line when fewer than W orders are in it.
- push: once a day the planner of the live push lines (`production.planning.core`)
  nets a moving-average forecast plus safety stock against stock, open orders and
  backorders over the planned lead time, cuts a lot and releases it, whatever the
  demand turns out to be. `advance_demand_days` of firm orders replace the forecast.
  A lot moves through the line in containers (transfer batches), as kanban work does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from production.forecasting.methods import moving_average
from production.planning import lot_sizes, net_requirements, safety_stocks
from production.twin.demand import Demand, container_signals
from production.twin.distributions import Dist, sample_sums_in_groups
from production.twin.events import EventLine
from production.twin.line import closed_loop, closed_loop_exact, open_line
from production.twin.metrics import Jobs

Array = NDArray[np.float64]

VECTOR_MIN_CARDS = 12
FIXED_POINT_PASSES = 30
WINDOW_CHUNK = 1 << 15  # forecast window values held at once (in cache)


@dataclass(frozen=True)
class Station:
    name: str
    machines: int
    unit_time: Dist  # days per unit
    supermarket_after: bool = False


@dataclass(frozen=True)
class ProductModel:
    sku: str
    container_quantity: float
    lead_time_days: float


def cells_of(stations: Sequence[Station]) -> list[list[int]]:
    """Station indexes grouped between supermarkets (the last cell ends at the FG store)."""
    cells: list[list[int]] = [[]]
    for i, station in enumerate(stations):
        cells[-1].append(i)
        if station.supermarket_after and i < len(stations) - 1:
            cells.append([])
    return cells


def _proc(rng: np.random.Generator, stations: Sequence[Station], units: Array) -> Array:
    return np.stack([s.unit_time.sample_sum(rng, units) for s in stations])


def _single_machines(stations: Sequence[Station]) -> bool:
    return all(s.machines == 1 for s in stations)


def _loop(
    signal: Array,
    proc: Array,
    stations: Sequence[Station],
    cells: list[list[int]],
    cards: list[int],
) -> tuple[Array, Array]:
    """Release and finish of each job of one loop (or one CONWIP cap), in signal order."""
    if not _single_machines(stations):
        line = EventLine(
            [s.machines for s in stations], cells, lambda _, j: proc[:, j], cards=[cards]
        )
        line.run([(float(t), 0) for t in signal])
        jobs = range(len(signal))
        return (
            np.asarray([line.release_at[(0, j)] for j in jobs]),
            np.asarray([line.done_at[(0, j)] for j in jobs]),
        )
    # Small loops make small blocks: one job at a time in plain Python is faster then.
    if min(cards) >= VECTOR_MIN_CARDS:
        release, done = closed_loop(signal[None, :], proc[:, None, :], cells, cards)
        return release[0], done[-1][0]
    rel, dn = closed_loop_exact(signal.tolist(), proc.tolist(), cells, cards)
    return np.asarray(rel), np.asarray(dn[-1])


def kanban(
    rng: np.random.Generator,
    stations: Sequence[Station],
    products: Sequence[ProductModel],
    demands: Sequence[Demand],
    cards: Sequence[int],
    cell_cards: Sequence[int] | None = None,
) -> tuple[Jobs, list[float]]:
    """Jobs of kanban loops; returns them and the opening stock (N x C per product)."""
    initial = [n * p.container_quantity for n, p in zip(cards, products, strict=True)]
    cells = cells_of(stations)
    if len(products) == 1:
        c = products[0].container_quantity
        signal = container_signals(demands[0], c)
        units = np.full(len(signal), c)
        upstream = list(cell_cards or [cards[0]] * (len(cells) - 1))
        release, done = _loop(
            signal, _proc(rng, stations, units), stations, cells, [*upstream, cards[0]]
        )
        return Jobs(release, done, units, np.zeros(len(signal), dtype=np.intp)), initial
    signals = [
        container_signals(d, p.container_quantity) for d, p in zip(demands, products, strict=True)
    ]
    procs = [
        _proc(rng, stations, np.full(len(s), p.container_quantity))
        for s, p in zip(signals, products, strict=True)
    ]
    if _single_machines(stations):
        jobs = _kanban_products_fixed_point(signals, procs, products, cards)
        if jobs is not None:
            return jobs, initial
    jobs = _kanban_products(signals, procs, stations, cards)
    jobs.quantity = np.asarray([p.container_quantity for p in products], dtype=float)[jobs.product]
    return jobs, initial


def _kanban_products_fixed_point(
    signals: list[Array], procs: list[Array], products: Sequence[ProductModel], cards: Sequence[int]
) -> Jobs | None:
    """Several products' loops on one-machine stations, vectorised by fixed point.

    Start from releases = signals; run the line in release order; set each product's
    k-th release to max(signal k, its (k - N)-th departure); repeat until releases stop
    changing (then they solve the same equations as the event-by-event run). Returns
    None if that takes more than a few passes, for the exact run to take over.
    """
    product = np.concatenate([np.full(len(s), i, dtype=np.intp) for i, s in enumerate(signals)])
    signal = np.concatenate(signals)
    proc = np.concatenate(procs, axis=1)
    index = np.concatenate([np.arange(len(s)) for s in signals])
    n_cards = np.asarray(cards)[product]
    gated = index >= n_cards
    source = np.flatnonzero(gated) - n_cards[gated]  # same product, N jobs earlier
    release = signal.copy()
    for _ in range(FIXED_POINT_PASSES):
        order = np.argsort(release, kind="stable")
        done_sorted, _ = open_line(release[order][None, :], proc[:, order][:, None, :])
        done = np.empty_like(release)
        done[order] = done_sorted[0]
        new = signal.copy()
        new[gated] = np.maximum(signal[gated], done[source])
        if np.array_equal(new, release):
            units = np.asarray([p.container_quantity for p in products])[product]
            return Jobs(release, done, units, product)
        release = new
    return None


def _kanban_products(
    signals: list[Array],
    procs: list[Array],
    stations: Sequence[Station],
    cards: Sequence[int],
) -> Jobs:
    """Several products' loops sharing the line, event by event (FCFS at every station)."""
    line = EventLine(
        [s.machines for s in stations],
        [list(range(len(stations)))],
        lambda p, k: procs[p][:, k],
        cards=[[n] for n in cards],
    )
    merged = sorted((float(t), p) for p, s in enumerate(signals) for t in s)
    line.run(merged)
    keys = sorted(line.release_at, key=lambda key: (line.release_at[key], key))
    product = np.asarray([p for p, _ in keys], dtype=np.intp)
    return Jobs(
        np.asarray([line.release_at[k] for k in keys]),
        np.asarray([line.done_at[k] for k in keys]),
        np.zeros(len(keys)),  # the caller sets each product's container quantity
        product,
    )


def conwip(
    rng: np.random.Generator,
    stations: Sequence[Station],
    products: Sequence[ProductModel],
    demands: Sequence[Demand],
    wip_cap: int,
    base_stock: Sequence[int],
) -> tuple[Jobs, list[float]]:
    """Jobs of a CONWIP line; opening stock is `base_stock` containers per product."""
    parts = [
        container_signals(d, p.container_quantity) for d, p in zip(demands, products, strict=True)
    ]
    signal = np.concatenate(parts) if parts else np.zeros(0)
    product = np.concatenate([np.full(len(s), i, dtype=np.intp) for i, s in enumerate(parts)])
    order = np.argsort(signal, kind="stable")
    signal, product = signal[order], product[order]
    units = np.asarray([p.container_quantity for p in products], dtype=float)[product]
    release, done = _loop(
        signal, _proc(rng, stations, units), stations, [list(range(len(stations)))], [wip_cap]
    )
    initial = [n * p.container_quantity for n, p in zip(base_stock, products, strict=True)]
    return Jobs(release, done, units, product), initial


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
    firm_days = np.minimum(plan.advance_demand_days, np.ceil(cover)).astype(np.intp)
    unknown_days = np.maximum(cover - firm_days, 0.0)
    # Firm orders of the next `firm_days` (within the horizon) replace the forecast.
    ahead = np.concatenate((np.zeros((1, n)), np.cumsum(daily.T, axis=0)))
    firm = ahead[np.minimum(morning[:, None] + firm_days, days), np.arange(n)] - ahead[:-1]
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
    order, quantity = _cut_lots(lots[day, product], containers[product])
    morning = day[order]
    release = morning.astype(float)
    # The processing times are drawn morning by morning, station by station, as the
    # planner releases them.
    per_morning = np.bincount(morning)
    per_morning = per_morning[per_morning > 0]
    proc = sample_sums_in_groups(rng, [s.unit_time for s in stations], quantity, per_morning)
    if _single_machines(stations):
        done = open_line(release[None, :], proc[:, None, :])[0][0]
    else:
        done = _open_event_line(stations, release, proc)
    return Jobs(release, done, quantity, product[order], order)


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
