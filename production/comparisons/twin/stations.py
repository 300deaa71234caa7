"""What the twin's policies run on: the line's stations and the products made on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from production.comparisons.twin.distributions import Dist

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Station:
    name: str
    machines: int
    unit_time: Dist  # days per unit
    supermarket_after: bool = False


@dataclass(frozen=True)
class Warehouse:
    """The stock a transfer is taken from: `cards` containers, each replenished by its own
    supplier `lead_time` after a transfer took it (a base-stock loop of its own)."""

    cards: int
    lead_time: Dist  # days per order


@dataclass(frozen=True)
class Source:
    """Where a bought-in or transferred product comes from instead of the line: a supplier
    or a transfer, a delay of `lead_time` per order with unlimited capacity, and for a
    transfer optionally the warehouse stock it draws on."""

    kind: str  # "supplier" or "transfer"
    lead_time: Dist  # days per order
    warehouse: Warehouse | None = None


@dataclass(frozen=True)
class ProductModel:
    sku: str
    container_quantity: float
    lead_time_days: float
    source: Source | None = None  # None: made on the line (a production loop)


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
