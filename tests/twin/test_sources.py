"""Supplier and transfer loops in the twin: a delay with a lead-time distribution and
unlimited capacity, checked against the base-stock closed form.

Unit Poisson demand of rate lambda, base stock S (S cards of one unit) and a lead time of
mean L: the units on order are M/G/infinity, Poisson(lambda L) whatever the lead time's
distribution (Palm's theorem), and an order is filled from stock when fewer than S are on
order (PASTA), so

    fill rate = P(Poisson(lambda L) <= S - 1)

(Zipkin, *Foundations of Inventory Management*, 2000, sec. 6.2; Axsaeter, *Inventory
Control*, sec. 5.2). Each case runs 8 x 2,500 days; its 95% half-width is asserted well
inside the 1% tolerance, so the tolerance means something. The long runs are in
`bench/bench_twin_sources.py`.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from production.comparisons.twin import SpecError, compare


def poisson_cdf(k: int, mean: float) -> float:
    return math.exp(-mean) * sum(mean**i / math.factorial(i) for i in range(k + 1))


def _spec(
    rate: float, lead: dict[str, Any], cards: int, *, source: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A line making one slow product, and a bought-in product of unit containers."""
    return {
        "horizon_days": 2500,
        "seed": 21,
        "replications": 8,
        "stations": [{"unit_time": {"dist": "exponential", "mean_minutes": 10}}],
        "products": [
            {
                "sku": "MADE",
                "container_quantity": 1,
                "demand": {"kind": "poisson", "rate_per_day": 0.5},
            },
            {
                "sku": "BUY",
                "container_quantity": 1,
                "demand": {"kind": "poisson", "rate_per_day": rate},
                "source": source or {"kind": "supplier", "lead_time": lead},
            },
        ],
        "policies": [{"kind": "kanban", "cards": {"MADE": 2, "BUY": cards}}],
    }


@pytest.mark.parametrize(
    ("rate", "lead", "cards"),
    [(10, 1.0, 12), (5, 2.0, 10), (20, 0.5, 8), (3, 3.0, 12), (4, 1.5, 9)],
)
def test_supplier_loop_matches_base_stock_fill_rate(rate: float, lead: float, cards: int) -> None:
    result = compare(_spec(rate, {"dist": "deterministic", "mean_days": lead}, cards))
    kanban = result["policies"][0]
    expected = poisson_cdf(cards - 1, rate * lead)
    assert kanban["ci95"]["supplier_fill_rate"] < 0.008
    assert kanban["metrics"]["supplier_fill_rate"] == pytest.approx(expected, abs=0.01)
    # Each call-off takes exactly its lead time: unlimited capacity, no queue.
    assert kanban["metrics"]["supplier_order_lead_time_mean_days"] == pytest.approx(lead)


def test_lead_time_distribution_does_not_change_the_fill_rate() -> None:
    """Palm's theorem: only the mean lead time counts, for a gamma lead time with CV 0.6
    as for a deterministic one, because orders overtake each other."""
    result = compare(_spec(8, {"dist": "gamma", "mean_days": 1.5, "cv": 0.6}, 14))
    m = result["policies"][0]["metrics"]
    assert m["supplier_fill_rate"] == pytest.approx(poisson_cdf(13, 12.0), abs=0.01)
    assert m["supplier_order_lead_time_mean_days"] == pytest.approx(1.5, rel=0.02)


def test_warehouse_stage_fill_rates() -> None:
    """A transfer from a warehouse of W containers, itself replenished from its supplier
    after Lw: the line side orders at demand times, so the warehouse sees Poisson claims
    and fills P(Poisson(lambda Lw) <= W - 1) of them at once."""
    source = {
        "kind": "transfer",
        "lead_time": {"dist": "deterministic", "mean_days": 0.5},
        "warehouse": {"cards": 9, "lead_time": {"dist": "deterministic", "mean_days": 2}},
    }
    result = compare(_spec(4, {}, 6, source=source))
    m = result["policies"][0]["metrics"]
    assert m["warehouse_fill_rate"] == pytest.approx(poisson_cdf(8, 8.0), abs=0.01)
    # Every transfer ships at once or waits for the supplier: its lead time is at least
    # the transfer's own, and the line side fills less than a warehouse that never runs out.
    assert m["transfer_order_lead_time_mean_days"] > 0.5
    assert m["transfer_fill_rate"] < poisson_cdf(5, 2.0) - 0.02
    assert 0 < m["warehouse_stock_mean"] < 9


def test_empty_warehouse_adds_the_supplier_lead_time() -> None:
    """A warehouse of no containers passes every transfer through to its supplier: the
    line side is a base-stock loop over both lead times, 1 + 0.5 days."""
    source = {
        "kind": "transfer",
        "lead_time": {"dist": "deterministic", "mean_days": 0.5},
        "warehouse": {"cards": 0, "lead_time": {"dist": "deterministic", "mean_days": 1}},
    }
    result = compare(_spec(6, {}, 11, source=source))
    m = result["policies"][0]["metrics"]
    assert m["transfer_fill_rate"] == pytest.approx(poisson_cdf(10, 9.0), abs=0.01)
    assert m["transfer_order_lead_time_mean_days"] == pytest.approx(1.5)
    assert m["warehouse_fill_rate"] == 0.0
    assert m["warehouse_stock_mean"] == 0.0


MIXED = {
    "horizon_days": 90,
    "seed": 4,
    "replications": 2,
    "stations": [{"unit_time": {"dist": "lognormal", "mean_minutes": 9, "cv": 0.5}}],
    "products": [
        {"sku": "A", "container_quantity": 10, "demand": {"kind": "poisson", "rate_per_day": 60}},
        {
            "sku": "BOLT",
            "container_quantity": 50,
            "demand": {"kind": "poisson", "rate_per_day": 120},
            "source": {"kind": "supplier", "lead_time": {"dist": "deterministic", "mean_days": 3}},
        },
    ],
    "policies": [
        {"kind": "kanban", "cards": {"A": 5, "BOLT": 10}},
        {"kind": "conwip", "wip_cap": 5, "base_stock": {"A": 5, "BOLT": 10}},
        {"kind": "push", "lot_sizing": "containers"},
    ],
}


def test_bought_in_product_leaves_the_line_as_it_was() -> None:
    """A comparison with a bought-in product: the line's own product runs exactly as
    without it (its demand is drawn first, its times from the same stream), the line's
    load counts only what it makes, and each policy reports its call-offs."""
    alone = {**MIXED, "products": MIXED["products"][:1]}
    alone["policies"] = [
        {"kind": "kanban", "cards": 5},
        {"kind": "conwip", "wip_cap": 5, "base_stock": 5},
        {"kind": "push", "lot_sizing": "containers"},
    ]
    mixed, only = compare(MIXED), compare(alone)
    assert mixed["context"]["bottleneck_utilisation"] == pytest.approx(
        only["context"]["bottleneck_utilisation"]
    )
    assert mixed["context"]["bought_in"] == [
        {
            "sku": "BOLT",
            "source": "supplier",
            "lead_time_days": 3.0,
            "lead_time_cv": 0.0,
            "warehouse_cards": None,
        }
    ]
    for with_bolt, without in zip(mixed["policies"], only["policies"], strict=True):
        m = with_bolt["metrics"]
        assert m["production_fill_rate"] == pytest.approx(without["metrics"]["fill_rate"])
        assert m["production_stock_mean"] == pytest.approx(without["metrics"]["fg_inventory_mean"])
        assert m["production_orders_released"] == without["metrics"]["work_orders_released"]
        # Each call-off arrives 3 days after it was placed (unlimited capacity).
        assert m["supplier_order_lead_time_mean_days"] == pytest.approx(3.0)
    # Kanban and CONWIP call off a container each time demand claims one (about
    # 120 x 90 / 50 of them); push one lot a planning day at most.
    for pulled in mixed["policies"][:2]:
        assert 180 < pulled["metrics"]["supplier_orders_released"] < 260
    assert 0 < mixed["policies"][2]["metrics"]["supplier_orders_released"] <= 90


def test_push_plans_call_offs_over_the_supplier_lead_time() -> None:
    """Push nets a bought-in product over its source's lead time unless the spec plans
    it over another: planned over a quarter of the supplier's 3 days, the call-offs come
    too late and the part runs out."""
    opening = {"A": 5, "BOLT": 10}
    push_only = {**MIXED, "policies": [{**MIXED["policies"][2], "opening_stock": opening}]}
    planned = compare(push_only)["policies"][0]["metrics"]
    short = copy.deepcopy(push_only)
    short["products"][1]["lead_time_days"] = 0.75
    too_short = compare(short)["policies"][0]["metrics"]
    assert planned["supplier_fill_rate"] > 0.98
    assert too_short["supplier_fill_rate"] < 0.5
    assert too_short["supplier_backorders_mean"] > 50 * planned["supplier_backorders_mean"]
    # The line's own product is planned as before.
    assert too_short["production_fill_rate"] == planned["production_fill_rate"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"kind": "courier"}, "products[1].source.kind", "must be one of"),
        ({"kind": "supplier"}, "products[1].source.lead_time", "must be an object"),
        (
            {"kind": "supplier", "lead_time": {"mean_days": 1}, "warehouse": {}},
            "products[1].source.warehouse",
            "unknown key",
        ),
        (
            {
                "kind": "transfer",
                "lead_time": {"mean_days": 1},
                "warehouse": {"cards": -1, "lead_time": {"mean_days": 1}},
            },
            "products[1].source.warehouse.cards",
            "at least 0",
        ),
        (
            {"kind": "transfer", "lead_time": {"mean_days": 0}},
            "products[1].source.lead_time.mean_days",
            "greater than 0",
        ),
    ],
)
def test_bad_sources_are_refused_by_field(change: dict, field: str, message: str) -> None:
    spec = _spec(1, {}, 2, source=change)
    with pytest.raises(SpecError) as caught:
        compare(spec)
    assert caught.value.field == field
    assert message in caught.value.message


def test_a_line_must_make_something() -> None:
    spec = _spec(1, {"mean_days": 1}, 2)
    spec["products"][0]["source"] = {"kind": "supplier", "lead_time": {"mean_days": 1}}
    with pytest.raises(SpecError) as caught:
        compare(spec)
    assert caught.value.field == "products"
