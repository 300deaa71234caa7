"""Bought-in and transferred products: replenished by a supplier or a transfer instead of
the line.

A supplier or transfer loop is a delay with unlimited capacity: an order placed at time t
arrives at t + a lead time drawn from its distribution, whatever else is on order, and
orders may overtake each other. Kanban and CONWIP order one container each time demand
claims one (backordered demand claims too), so a loop of N cards of C units is the
base-stock policy with S = N x C: with unit Poisson demand of rate lambda, S cards of one
unit and a deterministic lead time L its fill rate is P(Poisson(lambda L) <= S - 1)
(Palm's theorem: for any lead-time distribution of mean L). Push orders its lots, each
arriving whole.

A transfer may draw on a warehouse's stock (`Warehouse`): each container it claims leaves
the warehouse as soon as the warehouse has one (first come, first served, backorders
first), then travels the transfer's lead time; the warehouse reorders each container a
transfer claims from its own supplier. That is the serial base-stock chain
supplier -> warehouse -> line side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from production.comparisons.twin.demand import Demand, container_signals
from production.comparisons.twin.metrics import Jobs, Step
from production.comparisons.twin.stations import ProductModel, Source

Array = NDArray[np.float64]
SOURCE_KINDS = ("production", "supplier", "transfer")


@dataclass(frozen=True)
class WarehouseRun:
    """One replication of a warehouse: when each transfer claimed a container, when it
    left, when the warehouse's own replenishments arrived, and its opening stock."""

    claimed: Array
    shipped: Array
    replenished: Array
    container: float
    opening: int


def made_on_line(products: Sequence[ProductModel]) -> list[int]:
    return [i for i, p in enumerate(products) if p.source is None]


def bought_in(products: Sequence[ProductModel]) -> list[int]:
    return [i for i, p in enumerate(products) if p.source is not None]


def empty_jobs() -> Jobs:
    return Jobs(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.intp))


def container_claims(
    products: Sequence[ProductModel], demands: Sequence[Demand], indexes: Sequence[int]
) -> tuple[Array, NDArray[np.intp], Array]:
    """One order per container claimed by demand, for the products at `indexes`: the
    time, the product (index into `products`) and the quantity, in time order."""
    times, product, quantity = [], [], []
    for i in indexes:
        c = products[i].container_quantity
        at = container_signals(demands[i], c)
        times.append(at)
        product.append(np.full(len(at), i, dtype=np.intp))
        quantity.append(np.full(len(at), c))
    if not times:
        return np.zeros(0), np.zeros(0, dtype=np.intp), np.zeros(0)
    at = np.concatenate(times)
    order = np.argsort(at, kind="stable")
    return at[order], np.concatenate(product)[order], np.concatenate(quantity)[order]


def deliver(
    rng: np.random.Generator,
    products: Sequence[ProductModel],
    release: Array,
    product: NDArray[np.intp],
    quantity: Array,
    order: NDArray[np.intp] | None = None,
) -> Jobs:
    """The jobs of bought-in orders placed at `release` (one job per container; `order`
    groups the containers of one lot, which arrive together), with each warehouse's run.

    Draws follow the products' order, so one product's numbers do not depend on others."""
    lots = np.arange(len(release)) if order is None else order
    done = np.empty(len(release))
    runs: list[WarehouseRun] = []
    for p in np.unique(product).tolist():
        source = products[p].source
        assert source is not None  # only bought-in products are delivered
        mine = np.flatnonzero(product == p)
        # One lead time per order (lot), the same for its containers.
        lot_ids, lot_of = np.unique(lots[mine], return_inverse=True)
        transit = source.lead_time.sample(rng, len(lot_ids))[lot_of]
        left = release[mine]
        if source.warehouse is not None:
            run, left = _warehouse(rng, source, left, products[p].container_quantity)
            runs.append(run)
        done[mine] = left + transit
    jobs = Jobs(release.astype(float), done, quantity.astype(float), product.astype(np.intp))
    jobs.order = None if order is None else lots.astype(np.intp)
    jobs.warehouses = runs
    return jobs


def _warehouse(
    rng: np.random.Generator, source: Source, claimed: Array, container: float
) -> tuple[WarehouseRun, Array]:
    """The warehouse's run, and when each claim (in the order given) leaves a base-stock warehouse of `cards` containers.

    Claim k leaves at its own time if stock covers it, else when the warehouse's
    (k - cards)-th replenishment (in time order, as they arrive) lands."""
    warehouse = source.warehouse
    assert warehouse is not None
    order = np.argsort(claimed, kind="stable")
    at = claimed[order]
    replenished = np.sort(at + warehouse.lead_time.sample(rng, len(at)))
    shipped_sorted = at.copy()
    n = warehouse.cards
    if len(at) > n:
        shipped_sorted[n:] = np.maximum(at[n:], replenished[: len(at) - n])
    shipped = np.empty_like(shipped_sorted)
    shipped[order] = shipped_sorted
    return WarehouseRun(at, shipped_sorted, replenished, container, n), shipped


def merge(first: Jobs, second: Jobs) -> Jobs:
    """The jobs of both runs together (product indexes already shared); lots renumbered."""
    if not len(second.release) and not second.warehouses:
        return first
    if not len(first.release) and not first.warehouses:
        return second
    if first.order is None and second.order is None:
        order = None
    else:
        a = first.order if first.order is not None else np.arange(len(first.release))
        b = second.order if second.order is not None else np.arange(len(second.release))
        order = np.concatenate((a, b + (int(a.max()) + 1 if len(a) else 0)))
    return Jobs(
        np.concatenate((first.release, second.release)),
        np.concatenate((first.done, second.done)),
        np.concatenate((first.quantity, second.quantity)),
        np.concatenate((first.product, second.product)).astype(np.intp),
        None if order is None else order.astype(np.intp),
        [*first.warehouses, *second.warehouses],
    )


def subset(jobs: Jobs, indexes: Sequence[int]) -> Jobs:
    """Only the jobs of the products at `indexes`, renumbered 0..len(indexes) - 1."""
    keep = np.isin(jobs.product, list(indexes))
    remap = np.zeros(max(indexes, default=0) + 1, dtype=np.intp)
    remap[list(indexes)] = np.arange(len(indexes))
    return Jobs(
        jobs.release[keep],
        jobs.done[keep],
        jobs.quantity[keep],
        remap[jobs.product[keep]],
        None if jobs.order is None else jobs.order[keep],
    )


def warehouse_metrics(runs: Sequence[WarehouseRun], start: float, end: float) -> dict[str, float]:
    """Share of the containers transfers claimed that the warehouse had at once, and its
    stock (mean units over the window), over every warehouse of the run."""
    claimed = shipped_at_once = 0
    stock = 0.0
    for run in runs:
        window = (run.claimed >= start) & (run.claimed <= end)
        claimed += int(window.sum())
        shipped_at_once += int((run.shipped[window] <= run.claimed[window] + 1e-12).sum())
        times = np.concatenate((run.replenished, run.shipped))
        changes = np.concatenate((np.ones(len(run.replenished)), -np.ones(len(run.shipped))))
        level = Step.of_changes(times, changes * run.container, run.opening * run.container)
        stock += level.mean(start, end)
    return {
        "warehouse_fill_rate": shipped_at_once / claimed if claimed else 1.0,
        "warehouse_stock_mean": stock,
    }
