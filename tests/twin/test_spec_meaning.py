"""Specs that say what they mean: unknown keys refused by name, real bounds, one unit
for opening stock, exact firm-order spans, a warm-up, and the release processes and
the saturated line checked against their closed forms."""

from __future__ import annotations

import copy

import pytest

from production.comparisons.twin import SpecError, compare, parse_spec

BASE = {
    "horizon_days": 30,
    "seed": 1,
    "stations": [{"name": "cut", "unit_time": {"dist": "exponential", "mean_minutes": 5}}],
    "products": [
        {
            "sku": "A",
            "container_quantity": 10,
            "lead_time_days": 1,
            "demand": {"kind": "poisson", "rate_per_day": 50},
        }
    ],
    "policies": [{"kind": "kanban", "cards": 4}, {"kind": "push"}],
}


def _with(path: list, key: str, value: object) -> dict:
    spec = copy.deepcopy(BASE)
    target = spec
    for step in path:
        target = target[step]
    target[key] = value
    return spec


@pytest.mark.parametrize(
    ("path", "key", "field"),
    [
        ([], "horizon", "horizon"),
        (["stations", 0], "machine", "stations[0].machine"),
        (["stations", 0, "unit_time"], "mean_minute", "stations[0].unit_time.mean_minute"),
        (["products", 0], "leadtime_days", "products[0].leadtime_days"),
        (["products", 0, "demand"], "rate", "products[0].demand.rate"),
        (["policies", 0], "card", "policies[0].card"),
        (["policies", 1], "service", "policies[1].service"),
    ],
)
def test_an_unknown_key_is_refused_by_name(path: list, key: str, field: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_spec(_with(path, key, 1))
    assert err.value.field == field
    assert repr(key) in err.value.message


def test_an_unknown_key_of_a_release_is_refused() -> None:
    spec = _with(
        ["policies", 1], "release", {"kind": "timed", "every_days": 1, "quantity": 5, "evry": 2}
    )
    with pytest.raises(SpecError) as err:
        parse_spec(spec)
    assert err.value.field == "policies[1].release.evry"


def test_zero_base_stock_and_zero_opening_stock_are_legal() -> None:
    spec = copy.deepcopy(BASE)
    spec["policies"] = [
        {"kind": "conwip", "wip_cap": 3, "base_stock": 0},
        {"kind": "push", "opening_stock": 0},
    ]
    result = compare(spec)
    assert [p["metrics"]["opening_stock"] for p in result["policies"]] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("policy", "field", "message"),
    [
        ({"kind": "kanban", "cards": 0}, "policies[0].cards", "must be at least 1"),
        ({"kind": "conwip", "wip_cap": 0}, "policies[0].wip_cap", "must be at least 1"),
        (
            {"kind": "conwip", "wip_cap": 2, "base_stock": -1},
            "policies[0].base_stock",
            "must be at least 0",
        ),
        ({"kind": "push", "opening_stock": -2}, "policies[0].opening_stock", "must be at least 0"),
    ],
)
def test_every_message_states_the_real_bound(policy: dict, field: str, message: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_spec({**BASE, "policies": [policy]})
    assert (err.value.field, err.value.message) == (field, message)


def test_opening_stock_is_in_containers_for_every_policy() -> None:
    spec = copy.deepcopy(BASE)
    spec["policies"] = [
        {"kind": "push", "label": "push first"},
        {"kind": "kanban", "cards": 4},
        {"kind": "conwip", "wip_cap": 2, "base_stock": 3},
        {"kind": "push", "opening_stock": 3},
    ]
    opening = [p["metrics"]["opening_stock"] for p in compare(spec)["policies"]]
    # Push with no opening stock of its own starts as the first pull policy, wherever
    # it stands in the spec.
    assert opening == [40.0, 40.0, 30.0, 30.0]


def test_firm_orders_cover_exactly_their_span() -> None:
    """Lead time 0.5 day + review 1 day: each morning knows 1.5 days of firm orders
    (three orders of 10, at .25, .75 and 1.25 days on). Day 0 releases 30; each later
    day 20 (30 known, 10 already covered). A span rounded up to 2 days makes 40 first.
    A point's cumulative count is at its end: day 0's includes day 1's morning."""
    days = 20
    events = [[d + f, 10] for d in range(days) for f in (0.25, 0.75)]
    spec = {
        "horizon_days": days,
        "stations": [{"unit_time": {"dist": "deterministic", "mean_days": 0.0001}}],
        "products": [
            {
                "sku": "A",
                "container_quantity": 1,
                "lead_time_days": 0.5,
                "demand": {"kind": "history", "events": events},
                "history_before": [20.0] * 28,
            }
        ],
        "policies": [
            {
                "kind": "push",
                "lot_sizing": "lot_for_lot",
                "service_level": 0.5,
                "advance_demand_days": 3,
                "opening_stock": 0,
            }
        ],
    }
    series = compare(spec)["policies"][0]["series"]
    assert series["cum_released"][:3] == [50, 70, 90]
    assert series["cum_released"][-1] == 400  # the last morning sees only the horizon's orders


def test_a_warm_up_is_run_but_not_measured() -> None:
    spec = {
        "horizon_days": 20,
        "warmup_days": 5,
        "stations": [{"unit_time": {"dist": "deterministic", "mean_days": 0.001}}],
        "products": [
            {
                "sku": "A",
                "container_quantity": 1,
                "lead_time_days": 1,
                "demand": {"kind": "history", "events": [[d + 0.5, 10] for d in range(20)]},
            }
        ],
        "policies": [{"kind": "kanban", "cards": 5}],
    }
    result = compare(spec)
    m = result["policies"][0]["metrics"]
    assert m["units_demanded"] == 150  # days 5 to 19
    assert m["throughput_per_day"] == pytest.approx(10)
    assert result["policies"][0]["series"]["day"][0] == 5
    with pytest.raises(SpecError) as err:
        parse_spec({**spec, "warmup_days": 20})
    assert err.value.field == "warmup_days"


def test_poisson_releases_make_the_textbook_push_line_mm1() -> None:
    """Releases of one unit at Poisson rate lambda onto one exponential station of rate
    mu: an M/M/1 queue, WIP = rho / (1 - rho) and cycle time 1 / (mu - lambda)."""
    mu, lam = 50.0, 35.0
    spec = {
        "horizon_days": 2000,
        "seed": 3,
        "replications": 3,
        "stations": [{"unit_time": {"dist": "exponential", "mean_days": 1 / mu}}],
        "products": [
            {
                "sku": "A",
                "container_quantity": 1,
                "demand": {"kind": "poisson", "rate_per_day": lam},
            }
        ],
        "policies": [
            {"kind": "push", "release": {"kind": "poisson", "rate_per_day": lam, "quantity": 1}}
        ],
    }
    m = compare(spec)["policies"][0]["metrics"]
    rho = lam / mu
    assert m["wip_mean"] == pytest.approx(rho / (1 - rho), rel=0.04)
    assert m["cycle_time_mean_days"] == pytest.approx(1 / (mu - lam), rel=0.04)
    assert m["throughput_per_day"] == pytest.approx(lam, rel=0.01)


def test_timed_releases_below_capacity_wait_for_nothing() -> None:
    """D/D/1: a unit every 0.1 day onto a 0.05-day station: cycle time is the process time."""
    spec = {
        "horizon_days": 50,
        "stations": [{"unit_time": {"dist": "deterministic", "mean_days": 0.05}}],
        "products": [
            {"sku": "A", "container_quantity": 1, "demand": {"kind": "poisson", "rate_per_day": 10}}
        ],
        "policies": [
            {"kind": "push", "release": {"kind": "timed", "every_days": 0.1, "quantity": 1}}
        ],
    }
    m = compare(spec)["policies"][0]["metrics"]
    assert m["cycle_time_mean_days"] == pytest.approx(0.05)
    assert m["wip_mean"] == pytest.approx(0.5, rel=0.01)


def _saturated(stations: int, dist: str, wip: int, t: float = 0.02) -> dict[str, float]:
    spec = {
        "horizon_days": 400,
        "seed": 5,
        "stations": [{"unit_time": {"dist": dist, "mean_days": t}} for _ in range(stations)],
        "products": [
            {"sku": "A", "container_quantity": 1, "demand": {"kind": "poisson", "rate_per_day": 1}}
        ],
        "policies": [{"kind": "saturated", "wip": wip}],
    }
    return compare(spec)["policies"][0]["metrics"]


@pytest.mark.parametrize(("stations", "wip"), [(3, 1), (3, 3), (4, 9)])
def test_a_saturated_deterministic_line_is_the_best_case(stations: int, wip: int) -> None:
    """Hopp & Spearman sec. 7.3: TH = min(w / T0, rb), CT = max(T0, w / rb)."""
    t = 0.02
    m = _saturated(stations, "deterministic", wip, t)
    assert m["throughput_per_day"] == pytest.approx(min(wip / (stations * t), 1 / t), rel=0.005)
    assert m["cycle_time_mean_days"] == pytest.approx(max(stations * t, wip * t), rel=0.005)
    assert m["wip_mean"] == pytest.approx(wip, rel=0.005)


@pytest.mark.parametrize(("stations", "wip"), [(2, 3), (4, 4)])
def test_a_saturated_exponential_line_is_the_practical_worst_case(stations: int, wip: int) -> None:
    """Hopp & Spearman sec. 7.3: TH = w / (W0 + w - 1) rb, exact for balanced exponential lines."""
    t = 0.02
    m = _saturated(stations, "exponential", wip, t)
    assert m["throughput_per_day"] == pytest.approx(wip / (stations + wip - 1) / t, rel=0.025)
    assert m["cycle_time_mean_days"] == pytest.approx(stations * t + (wip - 1) * t, rel=0.025)
