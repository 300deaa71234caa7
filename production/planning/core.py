"""Pure planning arithmetic used by push scheduling (and by the twin's simulation).

No Django import here: every function is plain Python over floats, so it can be
unit-tested exhaustively and reused by simulations.

* ``safety_stock``     z(service level) x sigma_daily x sqrt(lead time)
* ``net_requirement``  forecast + safety stock + backorders - on hand - open orders, floored at 0
* ``lot_size``         lot-for-lot, fixed quantity, economic order quantity or whole containers
"""

from __future__ import annotations

import math
from statistics import NormalDist

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


def safety_stock(*, sigma_daily: float, lead_time_days: float, service_level: float) -> float:
    """Safety stock = z x sigma x sqrt(L), never negative.

    ``sigma_daily`` is the standard deviation of the one-day forecast error,
    ``lead_time_days`` the protection interval in days.
    """
    if sigma_daily <= 0 or lead_time_days <= 0:
        return 0.0
    return max(0.0, service_level_z(service_level) * sigma_daily * math.sqrt(lead_time_days))


def net_requirement(
    *,
    forecast_over_horizon: float,
    safety_stock: float,
    on_hand: float,
    open_orders: float,
    backorders: float = 0.0,
) -> float:
    """Gross requirement over the horizon plus buffers minus what is available, floored at 0."""
    gross = forecast_over_horizon + safety_stock + backorders
    available = on_hand + open_orders
    net = gross - available
    return net if net > _EPS else 0.0


def economic_order_quantity(
    *, daily_demand: float, setup_cost: float, holding_cost_per_unit_day: float
) -> float:
    """Classic Wilson EOQ = sqrt(2 D S / H) with D and H on the same (daily) basis.

    Returns 0 when it is undefined (no demand, or no holding cost).
    """
    if daily_demand <= 0 or holding_cost_per_unit_day <= 0 or setup_cost < 0:
        return 0.0
    return math.sqrt(2.0 * daily_demand * setup_cost / holding_cost_per_unit_day)


def _round_up_to_multiple(quantity: float, multiple: float) -> float:
    if multiple <= 0:
        return quantity
    # Guard against float noise (e.g. 30.000000001 / 10 -> 4 containers).
    count = math.ceil(quantity / multiple - _EPS)
    return float(max(count, 1)) * multiple


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
    """Quantity to release for a net requirement under a lot-sizing policy.

    * ``lot_for_lot``: exactly the requirement.
    * ``fixed``: the smallest multiple of the fixed quantity covering the requirement
      (falls back to lot-for-lot when no fixed quantity is set).
    * ``eoq``: max(requirement, EOQ) — the EOQ is ordered unless the need is larger.
    * ``containers``: the requirement rounded up to whole containers.

    Every policy returns 0 when the requirement is 0.
    """
    if policy not in LOT_SIZING_POLICIES:
        raise ValueError(f"unknown lot sizing policy {policy!r}")
    if requirement <= _EPS:
        return 0.0
    if policy == "lot_for_lot":
        return float(requirement)
    if policy == "fixed":
        if not fixed_quantity or fixed_quantity <= 0:
            return float(requirement)
        return _round_up_to_multiple(requirement, float(fixed_quantity))
    if policy == "eoq":
        eoq = economic_order_quantity(
            daily_demand=daily_demand,
            setup_cost=setup_cost,
            holding_cost_per_unit_day=holding_cost_per_unit_day,
        )
        return max(float(requirement), eoq)
    # containers
    return _round_up_to_multiple(requirement, float(container_quantity))
