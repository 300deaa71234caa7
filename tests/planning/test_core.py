"""The netting and lot-sizing arithmetic of push planning (pure functions)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from production.planning.core import (
    lot_size,
    lot_sizes,
    net_requirement,
    net_requirements,
    safety_stock,
    safety_stocks,
    service_level_z,
)


def test_safety_stock_is_z_sigma_sqrt_lead_time() -> None:
    # z(95%) = 1.6449; sigma 4 per day over 9 days -> 1.6449 x 4 x 3
    assert safety_stock(sigma_daily=4, lead_time_days=9, service_level=0.95) == pytest.approx(
        1.6448536 * 12, rel=1e-6
    )
    assert service_level_z(0.5) == 0
    assert safety_stock(sigma_daily=0, lead_time_days=9, service_level=0.99) == 0
    assert safety_stock(sigma_daily=5, lead_time_days=4, service_level=0.99) > safety_stock(
        sigma_daily=5, lead_time_days=4, service_level=0.9
    )


def test_net_requirement_nets_and_never_goes_negative() -> None:
    assert net_requirement(
        forecast_over_horizon=100, safety_stock=20, on_hand=30, open_orders=40, backorders=5
    ) == pytest.approx(55)
    assert net_requirement(forecast_over_horizon=10, safety_stock=2, on_hand=50, open_orders=0) == 0


POLICY = {
    "container_quantity": 10.0,
    "fixed_quantity": 25.0,
    "daily_demand": 20.0,
    "setup_cost": 50.0,
    "holding_cost_per_unit_day": 0.1,
}


@pytest.mark.parametrize(
    ("policy", "requirement", "expected"),
    [
        ("lot_for_lot", 37.0, 37.0),
        ("containers", 37.0, 40.0),
        ("containers", 30.0, 30.0),
        ("fixed", 37.0, 50.0),
        ("fixed", 20.0, 25.0),
        ("eoq", 37.0, math.sqrt(2 * 20 * 50 / 0.1)),  # EOQ 141.4 > need
        ("eoq", 500.0, 500.0),  # the need is larger than the EOQ
    ],
)
def test_lot_sizing_policies(policy: str, requirement: float, expected: float) -> None:
    assert lot_size(requirement=requirement, policy=policy, **POLICY) == pytest.approx(expected)


@pytest.mark.parametrize("policy", ["lot_for_lot", "containers", "fixed", "eoq"])
def test_no_requirement_no_lot(policy: str) -> None:
    assert lot_size(requirement=0.0, policy=policy, **POLICY) == 0


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown lot sizing"):
        lot_size(requirement=5, policy="guess", **POLICY)


quantities = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(
    forecast=quantities,
    buffer=quantities,
    on_hand=quantities,
    open_orders=quantities,
    backorders=quantities,
)
def test_net_requirement_covers_exactly_what_is_missing(  # type: ignore[no-untyped-def]
    forecast, buffer, on_hand, open_orders, backorders
) -> None:
    net = net_requirement(
        forecast_over_horizon=forecast,
        safety_stock=buffer,
        on_hand=on_hand,
        open_orders=open_orders,
        backorders=backorders,
    )
    assert net >= 0
    assert on_hand + open_orders + net >= forecast + buffer + backorders - 1e-6 * (1 + forecast)


@given(
    requirement=st.floats(min_value=0.001, max_value=1e5),
    policy=st.sampled_from(["lot_for_lot", "containers", "fixed", "eoq"]),
    container=st.floats(min_value=0.5, max_value=500),
    fixed=st.one_of(st.none(), st.floats(min_value=0.5, max_value=500)),
)
def test_a_lot_always_covers_the_requirement(requirement, policy, container, fixed) -> None:  # type: ignore[no-untyped-def]
    lot = lot_size(
        requirement=requirement,
        policy=policy,
        container_quantity=container,
        fixed_quantity=fixed,
        daily_demand=10,
        setup_cost=50,
        holding_cost_per_unit_day=0.05,
    )
    assert lot >= requirement - 1e-6
    if policy == "containers":
        assert lot / container == pytest.approx(round(lot / container))
        assert lot - requirement < container + 1e-6


def test_array_versions_give_each_product_the_scalar_numbers() -> None:
    """The twin plans every product at once with the array versions; each entry must be
    what the live planner's float functions give that product."""
    rng = np.random.default_rng(4)
    n = 400
    values = np.concatenate(([0.0, 1e-10, 2e-9, -3.0, 30.000000001, 40.0], rng.uniform(-20, 80, n)))
    sigma, lead, forecast = (rng.permutation(values) for _ in range(3))
    stock, open_orders = rng.permutation(values), np.abs(rng.permutation(values))
    containers = rng.choice([5.0, 0.7, 12.0, 0.0], len(values))
    buffers = safety_stocks(sigma_daily=sigma, lead_time_days=lead, service_level=0.95)
    needs = net_requirements(
        forecast_over_horizon=forecast,
        safety_stock=buffers,
        on_hand=np.maximum(stock, 0.0),
        open_orders=open_orders,
        backorders=np.maximum(-stock, 0.0),
    )
    for i in range(len(values)):
        buffer = safety_stock(sigma_daily=sigma[i], lead_time_days=lead[i], service_level=0.95)
        assert buffers[i] == buffer
        assert needs[i] == net_requirement(
            forecast_over_horizon=forecast[i],
            safety_stock=buffer,
            on_hand=max(stock[i], 0.0),
            open_orders=open_orders[i],
            backorders=max(-stock[i], 0.0),
        )
    for policy, fixed in [("containers", None), ("fixed", 25.0), ("fixed", None), ("eoq", None)]:
        lots = lot_sizes(
            requirement=needs,
            policy=policy,
            container_quantity=containers,
            fixed_quantity=fixed,
            daily_demand=forecast,
            setup_cost=50.0,
            holding_cost_per_unit_day=0.1,
        )
        for i in range(len(values)):
            assert lots[i] == lot_size(
                requirement=needs[i],
                policy=policy,
                container_quantity=containers[i],
                fixed_quantity=fixed,
                daily_demand=forecast[i],
                setup_cost=50.0,
                holding_cost_per_unit_day=0.1,
            )
