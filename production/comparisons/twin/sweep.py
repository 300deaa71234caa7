"""Like for like: a short sweep of each kanban policy's cards on the same demand, to say
what finished stock kanban needs to give the fill rate of the best push policy."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from production.comparisons.twin.metrics import policy_metrics
from production.comparisons.twin.spec import MAX_SIMULATED_WORK, Spec, _work_per_replication

SWEEP_SPAN = 4  # cards tried on either side of the policy's own (every product alike)


def like_for_like(spec: Spec, results: list[dict[str, Any]], runner: Any) -> list[str]:
    """For each kanban policy: the fewest cards (its own count shifted alike for every
    product, within SWEEP_SPAN) reaching the best push fill rate, and the stock they hold.
    `runner(policy, spec, rng, demands)` runs one policy (the comparison's own)."""
    pushes = [r for r in results if r["kind"] == "push"]
    swept = [p for p in spec.policies if p.kind == "kanban" and not p.params["cell_cards"]]
    if not pushes or not swept:
        return []
    target = max(pushes, key=lambda r: r["metrics"]["fill_rate"])
    fill = target["metrics"]["fill_rate"]
    per_run = sum(_work_per_replication(p, spec.horizon_days) for p in spec.products)
    if per_run * spec.replications * (2 * SWEEP_SPAN + 1) > MAX_SIMULATED_WORK:
        return [
            "Like for like: the spec is too large to sweep the kanban cards within the "
            "bound of the twin; compare a shorter period or fewer replications."
        ]
    out = []
    for index, policy in enumerate(spec.policies):
        if policy.kind != "kanban" or policy.params["cell_cards"]:
            continue
        found = None
        for shift in range(-SWEEP_SPAN, SWEEP_SPAN + 1):
            cards = [n + shift for n in policy.params["cards"]]
            if min(cards) < 1:
                continue
            trial = replace(policy, params={**policy.params, "cards": cards})
            fills, stocks = [], []
            for seed in np.random.SeedSequence(spec.seed).spawn(spec.replications):
                demand_seed, *policy_seeds = seed.spawn(1 + len(spec.policies))
                demands = spec.demands(np.random.default_rng(demand_seed))
                rng = np.random.default_rng(policy_seeds[index])
                jobs, initial, _ = runner(trial, spec, rng, demands)
                m, _ = policy_metrics(jobs, demands, initial, spec.horizon_days, spec.warmup_days)
                fills.append(m["fill_rate"])
                stocks.append(m["fg_inventory_mean"])
            if np.mean(fills) >= fill - 1e-9:
                found = (cards, float(np.mean(stocks)), float(np.mean(fills)))
                break
        label = results[index]["label"]
        if found is None:
            out.append(
                f"Like for like: {label} does not reach the fill rate of {target['label']} "
                f"({fill:.1%}) within {SWEEP_SPAN} cards more per product."
            )
            continue
        cards, stock, reached = found
        out.append(
            f"Like for like: at the fill rate of {target['label']} ({fill:.1%}), {label} needs "
            f"{_describe(cards)} cards per product and holds {stock:.0f} units of finished stock "
            f"(fill rate {reached:.1%}), against {target['metrics']['fg_inventory_mean']:.0f} "
            "for push."
        )
    return out


def _describe(values: list[int]) -> str:
    return str(values[0]) if len(set(values)) == 1 else f"{min(values)}-{max(values)}"
