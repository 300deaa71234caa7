"""The twin's supplier and transfer loops against the base-stock closed form, on long runs.

Unit Poisson demand of rate lambda, S cards of one unit, lead time of mean L: the fill rate
is P(Poisson(lambda L) <= S - 1) for any lead-time distribution (Palm's theorem). Each case
runs `--replications` x `--days` through `compare` and prints the closed form, the twin's
fill rate, its 95% half-width, the gap and the seconds it took. Pure numpy, no database.

Run: `.venv/bin/python bench/bench_twin_sources.py [--days 3600 --replications 10]`.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from production.comparisons.twin import compare

CASES = [
    # (lambda per day, lead time dist, mean L days, cv, S cards)
    (10.0, "deterministic", 1.0, 0.0, 12),
    (5.0, "deterministic", 2.0, 0.0, 10),
    (20.0, "deterministic", 0.5, 0.0, 8),
    (3.0, "deterministic", 3.0, 0.0, 12),
    (4.0, "deterministic", 1.5, 0.0, 9),
    (40.0, "deterministic", 1.0, 0.0, 45),
    (8.0, "gamma", 1.5, 0.6, 14),
    (8.0, "lognormal", 1.5, 1.0, 14),
]


def poisson_cdf(k: int, mean: float) -> float:
    term = total = math.exp(-mean)
    for i in range(1, k + 1):
        term *= mean / i
        total += term
    return total


def spec(rate: float, dist: str, lead: float, cv: float, cards: int, days: int, reps: int) -> Any:
    lead_time: dict[str, Any] = {"dist": dist, "mean_days": lead}
    if cv:
        lead_time["cv"] = cv
    return {
        "horizon_days": days,
        "seed": 1,
        "replications": reps,
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
                "source": {"kind": "supplier", "lead_time": lead_time},
            },
        ],
        "policies": [{"kind": "kanban", "cards": {"MADE": 2, "BUY": cards}}],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3600)
    parser.add_argument("--replications", type=int, default=10)
    args = parser.parse_args()
    print(f"load average at the start: {os.getloadavg()[0]:.2f} (1 min)")
    print(f"base-stock fill rate, {args.replications} x {args.days} days per case")
    print("  lambda  lead time            S   P(Pois<=S-1)    twin   +-95%     gap  seconds")
    worst = 0.0
    for rate, dist, lead, cv, cards in CASES:
        start = time.perf_counter()
        result = compare(spec(rate, dist, lead, cv, cards, args.days, args.replications))
        seconds = time.perf_counter() - start
        policy = result["policies"][0]
        fill = policy["metrics"]["supplier_fill_rate"]
        half = policy["ci95"]["supplier_fill_rate"]
        expected = poisson_cdf(cards - 1, rate * lead)
        worst = max(worst, abs(fill - expected))
        shape = f"{dist} {lead:g} d" + (f" cv {cv:g}" if cv else "")
        print(
            f"  {rate:6g}  {shape:<20} {cards:2d}   {expected:12.4f}  {fill:6.4f}"
            f"  {half:6.4f}  {fill - expected:+6.4f}  {seconds:7.1f}"
        )
    print(f"  largest gap {worst:.4f} (target < 0.01)")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
