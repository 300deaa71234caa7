"""Run one spec through each policy, on the same demand, and say what the numbers say.

Every replication draws one demand stream (seeded) and hands the *same* demand to
every policy; processing times come from a separate stream per policy, so a policy's
result does not depend on which others run alongside it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from production.comparisons.twin import policies as pol
from production.comparisons.twin.metrics import policy_metrics
from production.comparisons.twin.spec import PolicySpec, Spec, parse_spec

# (metric, better direction, label); the verdict reads these in this order.
HEADLINE = (
    ("fill_rate", "higher", "fill rate"),
    ("fg_inventory_mean", "lower", "finished stock (mean units)"),
    ("lead_time_mean_days", "lower", "customer lead time (days)"),
    ("backorders_mean", "lower", "backorders (mean units)"),
    ("wip_mean", "lower", "WIP (mean units)"),
    ("cycle_time_mean_days", "lower", "cycle time (days)"),
    ("overproduction", "lower", "overproduction (units)"),
    ("work_orders_released", "lower", "work orders released"),
)

Progress = Callable[[float], None]


def _run_policy(
    policy: PolicySpec,
    spec: Spec,
    rng: np.random.Generator,
    demands: list[Any],
    opening: list[float] | None,
) -> tuple[Any, list[float], dict[str, float]]:
    stations = spec.stations
    products = [p.model for p in spec.products]
    if policy.kind == "kanban":
        jobs, initial = pol.kanban(
            rng, stations, products, demands, policy.params["cards"], policy.params["cell_cards"]
        )
        return jobs, initial, {}
    if policy.kind == "conwip":
        jobs, initial = pol.conwip(
            rng, stations, products, demands, policy.params["wip_cap"], policy.params["base_stock"]
        )
        return jobs, initial, {}
    initial = policy.params["opening_stock"] or opening or [0.0] * len(products)
    history = None
    if all(p.history_before for p in spec.products):
        width = min(len(p.history_before) for p in spec.products)
        history = np.asarray([p.history_before[-width:] for p in spec.products], dtype=float)
    return pol.push(
        rng, stations, products, demands, policy.params["plan"], initial, spec.horizon_days, history
    )


def compare(raw_spec: Any, progress: Progress | None = None) -> dict[str, Any]:
    """Results of every policy in the spec: mean KPIs, 95% half-widths, a sample series."""
    spec = parse_spec(raw_spec)
    root = np.random.SeedSequence(spec.seed)
    rep_seeds = root.spawn(spec.replications)
    per_policy: list[list[dict[str, float]]] = [[] for _ in spec.policies]
    series: list[dict[str, list[float]]] = [{} for _ in spec.policies]
    cycle_samples: list[list[float]] = [[] for _ in spec.policies]
    extras: list[dict[str, float]] = [{} for _ in spec.policies]
    steps = spec.replications * len(spec.policies)
    done = 0
    context_demand: list[float] = []
    for r, seed in enumerate(rep_seeds):
        demand_seed, *policy_seeds = seed.spawn(1 + len(spec.policies))
        demands = spec.demands(np.random.default_rng(demand_seed))
        context_demand.append(
            float(
                np.mean(
                    [
                        d.daily(spec.horizon_days).std()
                        / max(d.daily(spec.horizon_days).mean(), 1e-12)
                        for d in demands
                    ]
                )
            )
        )
        opening = None
        for i, policy in enumerate(spec.policies):
            jobs, initial, extra = _run_policy(
                policy, spec, np.random.default_rng(policy_seeds[i]), demands, opening
            )
            if policy.kind in ("kanban", "conwip") and opening is None:
                opening = initial
            metrics, daily = policy_metrics(jobs, demands, initial, spec.horizon_days)
            metrics["opening_stock"] = float(sum(initial))
            metrics.update(extra)
            per_policy[i].append(metrics)
            if r == 0:
                series[i] = daily
                finished = jobs.done <= spec.horizon_days
                cycle_samples[i] = np.round(
                    jobs.done[finished] - jobs.release[finished], 4
                ).tolist()[:5000]
            extras[i] = extra
            done += 1
            if progress:
                progress(done / steps)
    results = []
    for i, policy in enumerate(spec.policies):
        runs = per_policy[i]
        keys = runs[0].keys()
        mean = {k: float(np.mean([m[k] for m in runs])) for k in keys}
        half = {
            k: float(1.96 * np.std([m[k] for m in runs], ddof=1) / np.sqrt(len(runs)))
            if len(runs) > 1
            else 0.0
            for k in keys
        }
        results.append(
            {
                "label": policy.label,
                "kind": policy.kind,
                "metrics": mean,
                "ci95": half,
                "series": series[i],
                "cycle_times_days": cycle_samples[i],
            }
        )
    context = _context(spec, float(np.mean(context_demand)), results)
    return {
        "horizon_days": spec.horizon_days,
        "replications": spec.replications,
        "seed": spec.seed,
        "policies": results,
        "context": context,
        "verdict": verdict(results, context),
    }


def _context(spec: Spec, demand_cv: float, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The reasons behind the numbers: load, variability, forecast error, lead times."""
    rate = sum(r["metrics"]["units_demanded"] for r in results[:1]) / spec.horizon_days
    stations = []
    for s in spec.stations:
        stations.append(
            {
                "name": s.name,
                "machines": s.machines,
                "utilisation": rate * s.unit_time.mean / s.machines,
                "unit_time_cv": s.unit_time.effective_cv,
            }
        )
    push = [r for r in results if r["kind"] == "push"]
    ctx: dict[str, Any] = {
        "demand_per_day": rate,
        "daily_demand_cv": demand_cv,
        "stations": stations,
        "bottleneck_utilisation": max(s["utilisation"] for s in stations),
        "planned_lead_time_days": float(np.mean([p.model.lead_time_days for p in spec.products])),
        "raw_process_time_days": float(
            sum(
                s.unit_time.mean * np.mean([p.model.container_quantity for p in spec.products])
                for s in spec.stations
            )
        ),
    }
    if push:
        m = push[0]["metrics"]
        mean = m.get("forecast_mean_daily_demand", 0.0)
        ctx["forecast_rmse_per_day"] = m.get("forecast_rmse_per_day", 0.0)
        ctx["forecast_error_ratio"] = m.get("forecast_rmse_per_day", 0.0) / mean if mean else 0.0
        ctx["push_cycle_time_days"] = m["cycle_time_mean_days"]
        plans = [p for p in spec.policies if p.kind == "push"]
        ctx["advance_demand_days"] = plans[0].params["plan"].advance_demand_days
    return ctx


def _leaders(results: list[dict[str, Any]], key: str, direction: str) -> tuple[list[str], bool]:
    """Policies as good as the best on `key`: within the 95% intervals (or 0.5%) of it.
    Also whether a single leader is clear of the runner-up beyond both intervals."""
    values = [(r["metrics"][key], r["ci95"][key], r["label"]) for r in results]
    pick = max if direction == "higher" else min
    top = pick(values, key=lambda v: v[0])
    slack = 0.002 if key == "fill_rate" else 0.005 * abs(top[0]) + 1e-9
    leaders = [v[2] for v in values if abs(v[0] - top[0]) <= max(v[1] + top[1], slack)]
    others = [v for v in values if v[2] not in leaders]
    runner = pick(others, key=lambda v: v[0]) if others else None
    clear = (
        len(leaders) == 1 and runner is not None and abs(top[0] - runner[0]) > top[1] + runner[1]
    )
    return leaders, clear


def _names(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def verdict(results: list[dict[str, Any]], context: dict[str, Any]) -> dict[str, Any]:
    """Who did best on each measure (ties within the noise count as ties), and why."""
    best: list[dict[str, Any]] = []
    lead: dict[str, list[str]] = {}
    for key, direction, label in HEADLINE:
        leaders, clear = _leaders(results, key, direction)
        lead[key] = leaders
        tie = len(leaders) == len(results)
        best.append(
            {
                "metric": key,
                "label": label,
                "best": leaders[0],
                "leaders": [] if tie else leaders,
                "clear": clear,
            }
        )
    by_label = {r["label"]: r["metrics"] for r in results}
    service, lean = lead["fill_rate"], lead["fg_inventory_mean"]
    both = [name for name in service if name in lean]
    fills = [r["metrics"]["fill_rate"] for r in results]
    service_tie = len(service) == len(results) > 1
    lean_tie = len(lean) == len(results) > 1
    if service_tie and lean_tie:
        summary = "All policies give the same service with the same finished stock here, within the noise."
    elif service_tie:
        m = by_label[lean[0]]
        summary = (
            f"Service is the same within the noise (fill rate {min(fills):.1%} to {max(fills):.1%}); "
            f"{_names(lean)} {'holds' if len(lean) == 1 else 'hold'} the least finished stock "
            f"({m['fg_inventory_mean']:.0f} units)."
        )
    elif lean_tie:
        m = by_label[service[0]]
        summary = (
            f"{_names(service)} {'gives' if len(service) == 1 else 'give'} the best service "
            f"(fill rate {m['fill_rate']:.1%}); finished stock is the same within the noise."
        )
    elif both:
        m = by_label[both[0]]
        verb = "gives" if len(both) == 1 else "give"
        summary = (
            f"{_names(both)} {verb} the best service (fill rate {m['fill_rate']:.1%}) "
            f"with the least finished stock ({m['fg_inventory_mean']:.0f} units) on this demand."
        )
    else:
        s, i = by_label[service[0]], by_label[lean[0]]
        summary = (
            f"{_names(service)} {'gives' if len(service) == 1 else 'give'} the best service "
            f"(fill rate {s['fill_rate']:.1%}); {_names(lean)} "
            f"{'holds' if len(lean) == 1 else 'hold'} the least finished stock "
            f"({i['fg_inventory_mean']:.0f} units, fill rate {i['fill_rate']:.1%}). "
            "No policy wins on everything here."
        )
    return {"summary": summary, "best": best, "reasons": _reasons(results, context)}


def _reasons(results: list[dict[str, Any]], ctx: dict[str, Any]) -> list[str]:
    out = []
    u = ctx["bottleneck_utilisation"]
    out.append(
        f"Bottleneck utilisation {u:.0%}: "
        + (
            "queues grow sharply with variability at this load."
            if u > 0.85
            else "the line has spare capacity, so queues stay short."
            if u < 0.7
            else "moderate queueing."
        )
    )
    cvs = [s["unit_time_cv"] for s in ctx["stations"]]
    out.append(
        f"Process variability: unit-time CV {min(cvs):.2f} to {max(cvs):.2f}; daily demand CV {ctx['daily_demand_cv']:.2f}."
    )
    if "forecast_error_ratio" in ctx:
        ratio = ctx["forecast_error_ratio"]
        out.append(
            f"Forecast error (one-day RMSE) is {ratio:.0%} of mean daily demand: "
            + (
                "push plans on good information."
                if ratio < 0.2
                else "push has to cover a noisy forecast with safety stock."
            )
        )
        if ctx.get("advance_demand_days"):
            out.append(
                f"Push sees {ctx['advance_demand_days']} days of firm orders ahead, which replaces forecast and safety stock over that span."
            )
        planned, actual = ctx["planned_lead_time_days"], ctx["push_cycle_time_days"]
        if actual > planned * 1.1:
            out.append(
                f"Push plans with a {planned:.2f}-day lead time but its orders took {actual:.2f} days: it releases too late and backorders follow."
            )
        elif actual < planned * 0.7:
            out.append(
                f"Push plans with a {planned:.2f}-day lead time while orders took {actual:.2f} days: it holds stock earlier than needed."
            )
    for r in results:
        m = r["metrics"]
        if r["kind"] == "kanban":
            out.append(
                f"{r['label']}: the cards cap finished stock plus WIP at {m['opening_stock']:.0f} units; mean cycle time {m['cycle_time_mean_days']:.2f} days."
            )
        elif r["kind"] == "conwip":
            out.append(
                f"{r['label']}: WIP is capped, base stock {m['opening_stock']:.0f} units; mean cycle time {m['cycle_time_mean_days']:.2f} days."
            )
    return out
