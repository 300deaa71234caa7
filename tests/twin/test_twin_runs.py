"""The twin's runs: Little's law on every run, repeatability, the exact oracle, and an
honest verdict (pull does not always win)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from production.comparisons.twin import SpecError, compare, parse_spec
from production.comparisons.twin.distributions import Dist, sample_sums_in_groups
from production.comparisons.twin.events import EventLine
from production.comparisons.twin.line import closed_loop, closed_loop_exact

LINE = [
    {"name": "cut", "unit_time": {"dist": "lognormal", "mean_minutes": 5, "cv": 0.6}},
    {"name": "weld", "machines": 2, "unit_time": {"dist": "exponential", "mean_minutes": 9}},
    {"name": "pack", "unit_time": {"dist": "gamma", "mean_minutes": 4, "cv": 0.3}},
]
SPEC = {
    "horizon_days": 730,
    "seed": 21,
    "replications": 2,
    "stations": LINE,
    "products": [
        {
            "sku": "A",
            "container_quantity": 10,
            "lead_time_days": 1,
            "demand": {"kind": "poisson", "rate_per_day": 100},
        },
        {
            "sku": "B",
            "container_quantity": 5,
            "lead_time_days": 1,
            "demand": {"kind": "distribution", "dist": "gamma", "mean_per_day": 60, "cv": 0.5},
        },
    ],
    "policies": [
        {"kind": "kanban", "cards": {"A": 6, "B": 8}},
        {"kind": "conwip", "wip_cap": 10, "base_stock": 6},
        {"kind": "push", "lot_sizing": "containers", "service_level": 0.95},
    ],
}


def _variants() -> list[dict]:
    single = copy.deepcopy(SPEC)
    single["products"] = single["products"][:1]
    single["stations"] = [dict(s, machines=1) for s in LINE]
    single["stations"][0]["supermarket_after"] = True
    single["policies"][0] = {"kind": "kanban", "cards": 15, "cell_cards": [20]}
    single["policies"][1] = {"kind": "conwip", "wip_cap": 30}
    lumpy = copy.deepcopy(SPEC)
    lumpy["products"][0]["demand"] = {
        "kind": "distribution",
        "dist": "lognormal",
        "mean_per_day": 100,
        "cv": 1.2,
    }
    lumpy["policies"][2] = {"kind": "push", "lot_sizing": "eoq", "advance_demand_days": 2}
    return [SPEC, single, lumpy]


@pytest.mark.parametrize(
    "spec", _variants(), ids=["two-products", "one-product-cells", "lumpy-eoq"]
)
def test_littles_law_holds_on_every_run(spec: dict) -> None:
    """WIP = throughput x cycle time (Little, 1961) within 1% for every policy."""
    result = compare(spec)
    assert len(result["policies"]) == 3
    for policy in result["policies"]:
        m = policy["metrics"]
        assert m["wip_mean"] > 0
        assert m["wip_mean"] == pytest.approx(
            m["throughput_per_day"] * m["cycle_time_mean_days"], rel=0.01
        )


def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    first, again = compare(SPEC), compare(SPEC)
    other = compare(dict(SPEC, seed=22))
    assert first["policies"] == again["policies"]
    assert first["policies"][0]["metrics"] != other["policies"][0]["metrics"]


def test_policies_see_the_same_demand() -> None:
    result = compare(SPEC)
    demanded = {p["metrics"]["units_demanded"] for p in result["policies"]}
    assert len(demanded) == 1


def test_vectorised_loops_match_the_event_by_event_oracle() -> None:
    rng = np.random.default_rng(3)
    reps, jobs = 3, 3000
    signal = np.sort(rng.uniform(0, 2000, (reps, jobs)), axis=1)
    proc = rng.lognormal(-0.5, 0.6, (4, reps, jobs))
    for cells, cards in [
        ([[0, 1, 2, 3]], [7]),
        ([[0], [1, 2], [3]], [3, 5, 2]),
        ([[0, 1], [2, 3]], [1, 9]),
        ([[0, 1, 2, 3]], [1500]),  # blocks longer than the chunks of running sums
    ]:
        release, done = closed_loop(signal, proc, cells, cards)
        for r in range(reps):
            rel2, done2 = closed_loop_exact(signal[r].tolist(), proc[:, r].tolist(), cells, cards)
            assert np.allclose(release[r], rel2)
            assert np.allclose(done[-1][r], done2[-1])


@pytest.mark.parametrize(
    "dists",
    [
        [Dist("lognormal", 0.2, 0.5), Dist("lognormal", 0.1, 1.3)],
        [Dist("gamma", 0.2, 0.5), Dist("exponential", 0.1)],
        [Dist("lognormal", 0.2, 0.5), Dist("deterministic", 0.3), Dist("exponential", 0.1)],
    ],
    ids=["lognormal", "gamma", "mixed"],
)
def test_draws_in_one_go_are_the_draws_group_by_group(dists: list[Dist]) -> None:
    """The push twin draws a whole run's processing times at once: the very numbers of
    drawing each morning's jobs station by station, as the planner releases them."""
    units = np.random.default_rng(1).choice([1.0, 2.5, 5.0, 0.3], 60)
    sizes = [7, 0, 20, 1, 32]
    drawn = sample_sums_in_groups(np.random.default_rng(2), dists, units, sizes)
    rng = np.random.default_rng(2)
    by_group = []
    for group in np.split(units, np.cumsum(sizes)[:-1]):
        by_group.append(np.stack([d.sample_sum(rng, group) for d in dists]))
    assert np.array_equal(drawn, np.concatenate(by_group, axis=1))


def test_event_engine_matches_the_recursions_on_one_machine_lines() -> None:
    """The event-by-event engine (used for parallel machines) and the max-plus blocks
    agree job by job where both apply: kanban cells and a CONWIP cap."""
    rng = np.random.default_rng(4)
    jobs = 2000
    signal = np.sort(rng.uniform(0, 1400, jobs))
    proc = rng.lognormal(-0.6, 0.8, (3, jobs))
    cases = [([[0, 1, 2]], [5], None), ([[0], [1], [2]], [3, 4, 2], None), ([[0, 1, 2]], [1], 7)]
    for cells, cards, cap in cases:
        gate = [cap] if cap else cards
        release, done = closed_loop(signal[None, :], proc[:, None, :], cells, gate)
        line = EventLine(
            [1, 1, 1],
            cells,
            lambda _, j: proc[:, j],
            cards=None if cap else [cards],
            conwip_cap=cap,
        )
        line.run([(float(t), 0) for t in signal])
        assert np.allclose([line.release_at[(0, j)] for j in range(jobs)], release[0])
        assert np.allclose([line.done_at[(0, j)] for j in range(jobs)], done[-1][0])


def test_push_with_advance_demand_information_can_beat_kanban() -> None:
    """With firm orders known over the whole lead time, MRP needs no safety stock and
    releases exactly what will be taken: less stock than a kanban loop sized for the
    same lumpy demand, at a service at least as good. The verdict must say so."""
    spec = {
        "horizon_days": 365,
        "seed": 8,
        "replications": 3,
        "stations": [
            {"name": "cut", "unit_time": {"dist": "lognormal", "mean_minutes": 6, "cv": 0.3}},
            {"name": "pack", "unit_time": {"dist": "lognormal", "mean_minutes": 4, "cv": 0.3}},
        ],
        "products": [
            {
                "sku": "A",
                "container_quantity": 10,
                "lead_time_days": 2,
                "demand": {
                    "kind": "distribution",
                    "dist": "lognormal",
                    "mean_per_day": 100,
                    "cv": 1.0,
                },
            }
        ],
        "policies": [
            {"kind": "kanban", "cards": 40},
            {
                "kind": "push",
                "lot_sizing": "lot_for_lot",
                "advance_demand_days": 3,
                "opening_stock": 40,
            },
        ],
    }
    result = compare(spec)
    kanban, push = (p["metrics"] for p in result["policies"])
    assert push["fg_inventory_mean"] < kanban["fg_inventory_mean"]
    assert push["fill_rate"] >= kanban["fill_rate"]
    best = {b["metric"]: b["best"] for b in result["verdict"]["best"]}
    assert best["fg_inventory_mean"].startswith("push")
    assert "push" in result["verdict"]["summary"]
    assert any("firm orders" in reason for reason in result["verdict"]["reasons"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"stations": []}, "stations"),
        ({"policies": [{"kind": "lean"}]}, "policies[0].kind"),
        ({"replications": 500}, "replications"),
        ({"policies": [{"kind": "kanban", "cards": {"A": 3}}]}, "policies[0].cards"),
        ({"policies": [{"kind": "push", "lot_sizing": "magic"}]}, "policies[0].lot_sizing"),
    ],
)
def test_bad_specs_name_the_field(change: dict, field: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_spec({**SPEC, **change})
    assert err.value.field == field


def test_the_twin_imports_no_django() -> None:
    import subprocess
    import sys

    code = "import sys, production.comparisons.twin; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
