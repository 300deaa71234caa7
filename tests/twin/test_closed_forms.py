"""The twin against queueing theory: closed forms it must reproduce.

Tolerances: each case runs long enough that the simulation's 95% half-width is well
inside the tolerance; seeds are fixed, so a run is repeatable.
"""

from __future__ import annotations

import pytest

from production.comparisons.twin import compare


def _kpis(spec: dict) -> dict[str, float]:
    return compare(spec)["policies"][0]["metrics"]


@pytest.mark.parametrize(
    ("rho", "base_stock"),
    [(0.5, 1), (0.5, 3), (0.7, 2), (0.8, 5)],
)
def test_kanban_loop_matches_mm1_make_to_stock(rho: float, base_stock: int) -> None:
    """M/M/1 make-to-stock queue with base stock S (one card per unit, container 1).

    Poisson demand at rate lambda, exponential processing at rate mu, rho = lambda/mu.
    Outstanding orders N are M/M/1: P(N = n) = (1 - rho) rho^n. On-hand I = (S - N)+,
    backorders B = (N - S)+. Hence (Buzacott & Shanthikumar, *Stochastic Models of
    Manufacturing Systems*, 1993, sec. 4.2; Zipkin, *Foundations of Inventory
    Management*, 2000, sec. 8.2):

        fill rate  = P(N < S)  = 1 - rho^S                  (PASTA)
        E[B]       = rho^(S+1) / (1 - rho)
        E[I]       = S - rho / (1 - rho) + E[B]

    With cards, orders beyond S wait for a card outside the line, so the line holds
    min(N, S):  E[WIP] = E[N] - E[B] = rho (1 - rho^S) / (1 - rho).
    """
    mu = 50.0  # per day: 60,000 days' worth of M/M/1 time in 1,200 days
    spec = {
        "horizon_days": 2_000,
        "seed": 11,
        "replications": 4,
        "stations": [{"unit_time": {"dist": "exponential", "mean_days": 1 / mu}}],
        "products": [
            {
                "sku": "A",
                "container_quantity": 1,
                "demand": {"kind": "poisson", "rate_per_day": rho * mu},
            }
        ],
        "policies": [{"kind": "kanban", "cards": base_stock}],
    }
    m = _kpis(spec)
    backorders = rho ** (base_stock + 1) / (1 - rho)
    on_hand = base_stock - rho / (1 - rho) + backorders
    assert m["fill_rate"] == pytest.approx(1 - rho**base_stock, abs=0.015)
    assert m["backorders_mean"] == pytest.approx(backorders, rel=0.08, abs=0.01)
    assert m["fg_inventory_mean"] == pytest.approx(on_hand, rel=0.04)
    assert m["wip_mean"] == pytest.approx(rho * (1 - rho**base_stock) / (1 - rho), rel=0.04)
    # Little's law for the customers: mean wait = E[B] / lambda.
    assert m["lead_time_mean_days"] == pytest.approx(backorders / (rho * mu), rel=0.1, abs=0.01)


def _saturated_conwip(
    stations: int, t: float, dist: str, wip: int, jobs: int = 40_000
) -> dict[str, float]:
    """A CONWIP line with an endless backlog: a closed line holding exactly `wip` jobs."""
    spec = {
        "horizon_days": int(jobs * t / min(1.0, wip / stations)) + 1,
        "seed": 5,
        "stations": [{"unit_time": {"dist": dist, "mean_days": t}} for _ in range(stations)],
        "products": [
            {
                "sku": "A",
                "container_quantity": 1,
                "demand": {"kind": "history", "events": [[0, 2 * jobs]]},
            }
        ],
        "policies": [{"kind": "conwip", "wip_cap": wip, "base_stock": 1}],
    }
    return _kpis(spec)


@pytest.mark.parametrize(("stations", "wip"), [(2, 1), (3, 2), (3, 3), (3, 8), (5, 4), (5, 12)])
def test_deterministic_balanced_line_is_best_case(stations: int, wip: int) -> None:
    """Factory Physics (Hopp & Spearman, 3rd ed., sec. 7.3), best case: with raw process
    time T0 = n t, bottleneck rate rb = 1/t and critical WIP W0 = rb T0 = n,

        TH_best(w) = min(w / T0, rb)        CT_best(w) = max(T0, w / rb)

    exact for a balanced line of deterministic stations."""
    t = 0.02
    m = _saturated_conwip(stations, t, "deterministic", wip)
    t0, rb = stations * t, 1 / t
    assert m["throughput_per_day"] == pytest.approx(min(wip / t0, rb), rel=0.005)
    assert m["cycle_time_mean_days"] == pytest.approx(max(t0, wip / rb), rel=0.005)


@pytest.mark.parametrize(("stations", "wip"), [(2, 1), (2, 4), (3, 3), (4, 2), (4, 10), (5, 5)])
def test_exponential_balanced_line_is_practical_worst_case(stations: int, wip: int) -> None:
    """Factory Physics (Hopp & Spearman, 3rd ed., sec. 7.3), practical worst case:

        TH_pwc(w) = w / (W0 + w - 1) * rb      CT_pwc(w) = T0 + (w - 1) / rb

    exact (mean-value analysis of a closed product-form network) for a balanced line
    of single exponential stations."""
    t = 0.02
    m = _saturated_conwip(stations, t, "exponential", wip)
    t0, rb, w0 = stations * t, 1 / t, stations
    assert m["throughput_per_day"] == pytest.approx(wip / (w0 + wip - 1) * rb, rel=0.025)
    assert m["cycle_time_mean_days"] == pytest.approx(t0 + (wip - 1) / rb, rel=0.025)
    assert m["littles_law_gap"] < 0.01


def test_pwc_lies_between_best_and_worst_case_for_moderate_variability() -> None:
    """Lognormal times with CV 0.5 are less variable than exponential: throughput falls
    between the practical worst case and the best case (Hopp & Spearman, sec. 7.3)."""
    t, n, w = 0.02, 4, 4
    spec = {
        "horizon_days": 800,
        "seed": 9,
        "stations": [
            {"unit_time": {"dist": "lognormal", "mean_days": t, "cv": 0.5}} for _ in range(n)
        ],
        "products": [
            {
                "sku": "A",
                "container_quantity": 1,
                "demand": {"kind": "history", "events": [[0, 60_000]]},
            }
        ],
        "policies": [{"kind": "conwip", "wip_cap": w, "base_stock": 1}],
    }
    m = _kpis(spec)
    rb = 1 / t
    assert w / (n + w - 1) * rb < m["throughput_per_day"] < min(w / (n * t), rb)
