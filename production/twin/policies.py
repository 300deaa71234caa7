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

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from production.forecasting.methods import moving_average
from production.planning.core import lot_size, net_requirement, safety_stock
from production.twin.demand import Demand, container_signals
from production.twin.distributions import Dist
from production.twin.events import EventLine
from production.twin.line import closed_loop, closed_loop_exact, open_line
from production.twin.metrics import Jobs

Array = NDArray[np.float64]

VECTOR_MIN_CARDS = 12
FIXED_POINT_PASSES = 30


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
    jobs.quantity = np.asarray([products[p].container_quantity for p in jobs.product], dtype=float)
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
    units = np.asarray([products[i].container_quantity for i in product], dtype=float)
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
    full = int(quantity // container)
    rest = quantity - full * container
    return [container] * full + ([rest] if rest > 1e-9 else [])


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
    """
    n = len(products)
    daily = np.stack([d.daily(horizon_days) for d in demands]) if n else np.zeros((0, horizon_days))
    days = np.arange(horizon_days, dtype=float)
    # Demand taken by each morning, and running sums for the firm orders ahead.
    demanded = [
        np.concatenate(([0.0], np.cumsum(d.quantities)))[
            np.searchsorted(d.times, days, side="right")
        ].tolist()
        for d in demands
    ]
    daily_cum = np.concatenate((np.zeros((n, 1)), np.cumsum(daily, axis=1)), axis=1).tolist()
    window = plan.forecast_window_days
    seed_history = history if history is not None and history.shape[1] else daily[:, :window]
    line: _VectorPushLine | _EventPushLine = (
        _VectorPushLine(stations) if _single_machines(stations) else _EventPushLine(stations)
    )
    supplied = [float(s) for s in initial_stock]
    open_orders = [0.0] * n
    errors: list[float] = []
    n_orders = 0
    for day in range(horizon_days):
        now = float(day)
        seen = np.concatenate((seed_history, daily[:, :day]), axis=1)[:, -window:]
        forecast_arr = moving_average(seen, 1, window)[:, 0]
        sigma = (seen.std(axis=1, ddof=1) if seen.shape[1] > 1 else np.zeros(n)).tolist()
        forecast = forecast_arr.tolist()
        errors.extend((daily[:, day] - forecast_arr).tolist())
        for p, q in line.arrivals(now):
            supplied[p] += q
            open_orders[p] -= q
        lots: list[tuple[int, float]] = []
        for p, product in enumerate(products):
            cover = product.lead_time_days + plan.review_days
            firm_days = min(plan.advance_demand_days, int(np.ceil(cover)))
            end = min(day + firm_days, horizon_days)
            q = _plan_lot(
                plan,
                product,
                net=supplied[p] - demanded[p][day],
                open_orders=open_orders[p],
                firm=daily_cum[p][end] - daily_cum[p][day],
                unknown_days=max(cover - firm_days, 0.0),
                forecast=forecast[p],
                sigma=sigma[p],
            )
            if q > 0:
                lots.append((p, q))
        if not lots:
            continue
        batches = [
            (p, part, order + n_orders)
            for order, (p, q) in enumerate(lots)
            for part in _transfer_batches(q, products[p].container_quantity)
        ]
        n_orders += len(lots)
        proc = _proc(rng, stations, np.asarray([q for _, q, _ in batches]))
        line.release(now, batches, proc)
        for p, q, _ in batches:
            open_orders[p] += q
    out = line.records()
    err = np.asarray(errors)
    forecast_error = {
        "forecast_rmse_per_day": float(np.sqrt(np.mean(err**2))) if err.size else 0.0,
        "forecast_mean_daily_demand": float(daily.mean()) if daily.size else 0.0,
    }
    cols: list[Sequence[float]] = [list(c) for c in zip(*out, strict=True)] if out else [[]] * 5
    jobs = Jobs(
        np.asarray(cols[0], dtype=float),
        np.asarray(cols[1], dtype=float),
        np.asarray(cols[2], dtype=float),
        np.asarray(cols[3], dtype=np.intp),
        np.asarray(cols[4], dtype=np.intp),
    )
    return jobs, [float(s) for s in initial_stock], forecast_error


class _VectorPushLine:
    """One-machine stations: each day's lots run through the recursion as released."""

    def __init__(self, stations: Sequence[Station]) -> None:
        self.state: list[Array] | None = None
        self.pending: list[tuple[float, int, float]] = []
        self.out: list[tuple[float, float, float, int, int]] = []

    def arrivals(self, t: float) -> list[tuple[int, float]]:
        arrived = []
        while self.pending and self.pending[0][0] <= t:
            _, p, q = heapq.heappop(self.pending)
            arrived.append((p, q))
        return arrived

    def release(self, now: float, batches: list[tuple[int, float, int]], proc: Array) -> None:
        release = np.full((1, len(batches)), now)
        finish, self.state = open_line(release, proc[:, None, :], self.state)
        for (p, q, order), t in zip(batches, finish[0].tolist(), strict=True):
            heapq.heappush(self.pending, (t, p, q))
            self.out.append((now, t, q, p, order))

    def records(self) -> list[tuple[float, float, float, int, int]]:
        return self.out


class _EventPushLine:
    """Parallel machines: the line runs event by event up to each planning moment."""

    def __init__(self, stations: Sequence[Station]) -> None:
        self.times: list[list[float]] = []
        self.meta: list[tuple[int, float, int]] = []
        self.line = EventLine(
            [s.machines for s in stations], [list(range(len(stations)))], self._times
        )
        self.seen = 0

    def _times(self, _: int, j: int) -> list[float]:
        return self.times[j]

    def arrivals(self, t: float) -> list[tuple[int, float]]:
        self.line.run_until(t)
        new = self.line.finished[self.seen :]
        self.seen = len(self.line.finished)
        return [(self.meta[j][0], self.meta[j][1]) for _, j, _ in new]

    def release(self, now: float, batches: list[tuple[int, float, int]], proc: Array) -> None:
        for k, batch in enumerate(batches):
            self.meta.append(batch)
            self.times.append(proc[:, k].tolist())
            self.line.release(0)

    def records(self) -> list[tuple[float, float, float, int, int]]:
        self.line.run_until(float("inf"))
        return [
            (self.line.release_at[(0, j)], self.line.done_at[(0, j)], q, p, order)
            for j, (p, q, order) in enumerate(self.meta)
        ]


def _plan_lot(
    plan: PushPlan,
    product: ProductModel,
    *,
    net: float,
    open_orders: float,
    firm: float,
    unknown_days: float,
    forecast: float,
    sigma: float,
) -> float:
    """One product's lot for today, from the live planner's own arithmetic."""
    requirement = net_requirement(
        forecast_over_horizon=firm + forecast * unknown_days,
        safety_stock=safety_stock(
            sigma_daily=sigma, lead_time_days=unknown_days, service_level=plan.service_level
        ),
        on_hand=max(net, 0.0),
        open_orders=open_orders,
        backorders=max(-net, 0.0),
    )
    return lot_size(
        requirement=requirement,
        policy=plan.lot_sizing,
        container_quantity=product.container_quantity,
        fixed_quantity=plan.fixed_lot_quantity,
        daily_demand=forecast,
        setup_cost=plan.setup_cost,
        holding_cost_per_unit_day=plan.holding_cost_per_unit_day,
    )
