"""Pure planning arithmetic used by push scheduling (and by the twin's simulation).

No Django import here: plain functions over floats, so they can be unit-tested
exhaustively and reused by simulations. Each has an array version (plural name)
taking numpy arrays that broadcast, so a simulation can plan every product at once;
the float versions call them, so the live planner and the twin run the same arithmetic.

* ``safety_stock``     z(service level) x sigma_daily x sqrt(lead time)
* ``net_requirement``  forecast + safety stock + backorders - on hand - open orders, floored at 0
* ``lot_size``         lot-for-lot, fixed quantity, economic order quantity or whole containers
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Values = float | Array

LOT_SIZING_POLICIES: tuple[str, ...] = ("lot_for_lot", "fixed", "eoq", "containers")

_EPS = 1e-9


def service_level_z(service_level: float) -> float:
    """Standard normal quantile for a cycle service level in (0, 1).

    Levels at or below 0.5 give 0 (no safety stock is ever negative); levels at or
    above 1 are clamped to 0.9999 so the result stays finite.
    """
    if service_level <= 0.5:
        return 0.0
    level = min(float(service_level), 0.9999)
    return NormalDist().inv_cdf(level)


def safety_stocks(*, sigma_daily: Values, lead_time_days: Values, service_level: float) -> Array:
    """Safety stock = z x sigma x sqrt(L), never negative.

    ``sigma_daily`` is the standard deviation of the one-day forecast error,
    ``lead_time_days`` the protection interval in days. 0 where either is not positive.
    """
    sigma = np.asarray(sigma_daily, dtype=float)
    lead = np.asarray(lead_time_days, dtype=float)
    covered = (sigma > 0) & (lead > 0)
    stock = service_level_z(service_level) * sigma * np.sqrt(np.where(covered, lead, 0.0))
    return np.where(covered, np.maximum(stock, 0.0), 0.0)


def safety_stock(*, sigma_daily: float, lead_time_days: float, service_level: float) -> float:
    """One product's safety stock (see ``safety_stocks``)."""
    return float(
        safety_stocks(
            sigma_daily=sigma_daily, lead_time_days=lead_time_days, service_level=service_level
        )
    )


def net_requirements(
    *,
    forecast_over_horizon: Values,
    safety_stock: Values,
    on_hand: Values,
    open_orders: Values,
    backorders: Values = 0.0,
) -> Array:
    """Gross requirement over the horizon plus buffers minus what is available, floored at 0."""
    gross = np.asarray(forecast_over_horizon, dtype=float) + safety_stock + backorders
    available = np.asarray(on_hand, dtype=float) + open_orders
    net = gross - available
    return np.where(net > _EPS, net, 0.0)


def net_requirement(
    *,
    forecast_over_horizon: float,
    safety_stock: float,
    on_hand: float,
    open_orders: float,
    backorders: float = 0.0,
) -> float:
    """One product's net requirement (see ``net_requirements``)."""
    return float(
        net_requirements(
            forecast_over_horizon=forecast_over_horizon,
            safety_stock=safety_stock,
            on_hand=on_hand,
            open_orders=open_orders,
            backorders=backorders,
        )
    )


def economic_order_quantities(
    *, daily_demand: Values, setup_cost: float, holding_cost_per_unit_day: float
) -> Array:
    """Classic Wilson EOQ = sqrt(2 D S / H) with D and H on the same (daily) basis.

    0 where it is undefined (no demand, or no holding cost).
    """
    demand = np.asarray(daily_demand, dtype=float)
    if holding_cost_per_unit_day <= 0 or setup_cost < 0:
        return np.zeros_like(demand)
    none = demand <= 0
    eoq = np.sqrt(2.0 * np.where(none, 0.0, demand) * setup_cost / holding_cost_per_unit_day)
    return np.where(none, 0.0, eoq)


def economic_order_quantity(
    *, daily_demand: float, setup_cost: float, holding_cost_per_unit_day: float
) -> float:
    """One product's EOQ (see ``economic_order_quantities``)."""
    return float(
        economic_order_quantities(
            daily_demand=daily_demand,
            setup_cost=setup_cost,
            holding_cost_per_unit_day=holding_cost_per_unit_day,
        )
    )


def _round_up_to_multiple(quantity: Array, multiple: Values) -> Array:
    """Whole multiples (at least one) covering the quantity; the quantity where multiple <= 0."""
    step = np.asarray(multiple, dtype=float)
    unset = step <= 0
    if np.count_nonzero(unset):
        whole = _round_up_to_multiple(quantity, np.where(unset, 1.0, step))
        return np.where(unset, quantity, whole)
    # Guard against float noise (e.g. 30.000000001 / 10 -> 4 containers).
    return np.maximum(np.ceil(quantity / step - _EPS), 1.0) * step


def lot_sizes(
    *,
    requirement: Values,
    policy: str,
    container_quantity: Values,
    fixed_quantity: float | None,
    daily_demand: Values,
    setup_cost: float,
    holding_cost_per_unit_day: float,
) -> Array:
    """Quantity to release for a net requirement under a lot-sizing policy.

    * ``lot_for_lot``: exactly the requirement.
    * ``fixed``: the smallest multiple of the fixed quantity covering the requirement
      (falls back to lot-for-lot when no fixed quantity is set).
    * ``eoq``: max(requirement, EOQ) — the EOQ is ordered unless the need is larger.
    * ``containers``: the requirement rounded up to whole containers.

    Every policy gives 0 where the requirement is 0.
    """
    if policy not in LOT_SIZING_POLICIES:
        raise ValueError(f"unknown lot sizing policy {policy!r}")
    need = np.asarray(requirement, dtype=float)
    if policy == "fixed" and fixed_quantity and fixed_quantity > 0:
        lot = _round_up_to_multiple(need, float(fixed_quantity))
    elif policy == "eoq":
        eoq = economic_order_quantities(
            daily_demand=daily_demand,
            setup_cost=setup_cost,
            holding_cost_per_unit_day=holding_cost_per_unit_day,
        )
        lot = np.maximum(need, eoq)
    elif policy == "containers":
        lot = _round_up_to_multiple(need, container_quantity)
    else:  # lot for lot, or fixed without a quantity
        lot = need
    return np.where(need <= _EPS, 0.0, lot)


def lot_size(
    *,
    requirement: float,
    policy: str,
    container_quantity: float,
    fixed_quantity: float | None,
    daily_demand: float,
    setup_cost: float,
    holding_cost_per_unit_day: float,
) -> float:
    """One product's lot (see ``lot_sizes``)."""
    return float(
        lot_sizes(
            requirement=requirement,
            policy=policy,
            container_quantity=container_quantity,
            fixed_quantity=fixed_quantity,
            daily_demand=daily_demand,
            setup_cost=setup_cost,
            holding_cost_per_unit_day=holding_cost_per_unit_day,
        )
    )


def low_level_codes(edges: list[tuple[int, int]]) -> dict[int, int]:
    """Each item's depth in the bills of materials: 0 for an item that is in no BOM,
    else one more than its deepest parent. `edges` are (parent, component) pairs; MRP
    plans level by level, parents first, so a component sees its parents' orders.
    An item on a cycle (which the BOM rules forbid) keeps the depth it reached."""
    parents: dict[int, list[int]] = {}
    for parent, component in edges:
        parents.setdefault(component, []).append(parent)
        parents.setdefault(parent, [])
    depth = dict.fromkeys(parents, 0)
    for _ in range(len(parents)):
        changed = False
        for item, above in parents.items():
            deepest = max((depth[p] + 1 for p in above), default=0)
            if deepest > depth[item]:
                depth[item] = deepest
                changed = True
        if not changed:
            break
    return depth


def dependent_requirements(
    bom: list[tuple[int, int, float]], planned: dict[int, float]
) -> dict[int, float]:
    """Units of each component that its parents' planned orders will take: the sum over
    BOM lines (parent, component, quantity per) of quantity per x the parent's planned
    quantity. One level; planning parents first carries it down every level."""
    need: dict[int, float] = {}
    for parent, component, per in bom:
        if planned.get(parent):
            need[component] = need.get(component, 0.0) + per * planned[parent]
    return need
