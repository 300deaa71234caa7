"""The three ways of releasing work onto the line, each returning the jobs it made.

- kanban: every product has a loop of N cards of C units around the line (plus, on a
  one-product line, a loop around each cell between supermarkets). A card comes back
  when demand takes its container; it releases one container of work.
- CONWIP: demand takes a container, which queues one replenishment order (FIFO over
  all products); an order enters the line when fewer than W orders are in it.
- push: once a day the planner of the live push lines nets a forecast against stock
  and open orders, cuts a lot and releases it, whatever the demand turns out to be; or
  work released on a timetable or at Poisson times (`push.py`, re-exported here so the
  policies are read from one place).
- saturated: a closed line that always has work waiting, holding exactly `wip` jobs
  (Factory Physics' best, worst and practical-worst cases are its figures).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from production.comparisons.twin.demand import Demand, container_signals
from production.comparisons.twin.events import EventLine
from production.comparisons.twin.line import closed_loop, closed_loop_exact, open_line
from production.comparisons.twin.metrics import Jobs
from production.comparisons.twin.push import PushPlan, _transfer_batches, push, push_released
from production.comparisons.twin.stations import (
    ProductModel,
    Station,
    _proc,
    _single_machines,
    cells_of,
)

Array = NDArray[np.float64]

VECTOR_MIN_CARDS = 12
FIXED_POINT_PASSES = 30


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


def saturated(
    rng: np.random.Generator,
    stations: Sequence[Station],
    product: ProductModel,
    wip: int,
    jobs: int,
) -> tuple[Jobs, list[float]]:
    """A closed line with an endless backlog: job j enters when job j - wip is done.
    Jobs are one container each; no opening stock."""
    units = np.full(jobs, product.container_quantity)
    release, done = _loop(
        np.zeros(jobs), _proc(rng, stations, units), stations, [list(range(len(stations)))], [wip]
    )
    return Jobs(release, done, units, np.zeros(jobs, dtype=np.intp)), [0.0]


__all__ = [
    "ProductModel",
    "PushPlan",
    "Station",
    "_proc",
    "_transfer_batches",
    "cells_of",
    "conwip",
    "kanban",
    "push",
    "push_released",
    "saturated",
]
