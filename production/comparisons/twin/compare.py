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
from production.comparisons.twin import sources as src
from production.comparisons.twin.metrics import Jobs, policy_metrics
from production.comparisons.twin.spec import PolicySpec, Spec, parse_spec, saturated_jobs
from production.comparisons.twin.sweep import like_for_like
from production.comparisons.twin.verdict import HEADLINE, verdict

Progress = Callable[[float], None]
PEAK_WINDOW_DAYS = 7

__all__ = ["HEADLINE", "compare", "default_opening", "run_policy", "verdict"]


def default_opening(spec: Spec) -> list[float]:
    """Push's opening stock unless it gives its own: what the first kanban or CONWIP
    policy of the spec opens with (containers times their quantity), else none."""
    for policy in spec.policies:
        counts = policy.params.get("cards") or policy.params.get("base_stock")
        if policy.kind in ("kanban", "conwip") and counts is not None:
            return [
                n * p.model.container_quantity for n, p in zip(counts, spec.products, strict=True)
            ]
    return [0.0] * len(spec.products)


def run_policy(
    policy: PolicySpec, spec: Spec, rng: np.random.Generator, demands: list[Any]
) -> tuple[Jobs, list[float], dict[str, float]]:
    """The jobs one policy released on one replication's demand (bought-in products'
    orders included), its opening stock in units and what else it reports (the
    forecast's error for MRP push, each source's and warehouse's figures)."""
    jobs, initial, extra = _policy_jobs(policy, spec, rng, demands)
    extra.update(_by_source(spec, jobs, demands, initial))
    if any(p.model.source is not None and p.model.source.warehouse for p in spec.products):
        extra.update(src.warehouse_metrics(jobs.warehouses, spec.warmup_days, spec.horizon_days))
    return jobs, initial, extra


def _policy_jobs(
    policy: PolicySpec, spec: Spec, rng: np.random.Generator, demands: list[Any]
) -> tuple[Jobs, list[float], dict[str, float]]:
    stations = spec.stations
    products = [p.model for p in spec.products]
    line = src.made_on_line(products)
    if policy.kind in ("kanban", "conwip"):
        key = "cards" if policy.kind == "kanban" else "base_stock"
        counts = policy.params[key]
        made = [products[i] for i in line]
        wanted = [demands[i] for i in line]
        if policy.kind == "kanban":
            on_line, _ = pol.kanban(
                rng, stations, made, wanted, [counts[i] for i in line], policy.params["cell_cards"]
            )
        else:
            on_line, _ = pol.conwip(
                rng, stations, made, wanted, policy.params["wip_cap"], [counts[i] for i in line]
            )
        on_line.product = np.asarray(line, dtype=np.intp)[on_line.product]
        # Bought-in products order one container each time demand claims one.
        bought = src.deliver(
            rng, products, *src.container_claims(products, demands, src.bought_in(products))
        )
        initial = [n * p.container_quantity for n, p in zip(counts, products, strict=True)]
        return src.merge(on_line, bought), initial, {}
    if policy.kind == "saturated":
        wip = policy.params["wip"]
        jobs, initial = pol.saturated(rng, stations, products[0], wip, saturated_jobs(spec, wip))
        return jobs, initial, {}
    containers = policy.params["opening_containers"]
    initial = (
        [n * p.container_quantity for n, p in zip(containers, products, strict=True)]
        if containers is not None
        else default_opening(spec)
    )
    release = policy.params["release"]
    if release.kind != "mrp":
        return pol.push_released(rng, stations, products, release, spec.horizon_days), initial, {}
    history = None
    if all(p.history_before for p in spec.products):
        width = min(len(p.history_before) for p in spec.products)
        history = np.asarray([p.history_before[-width:] for p in spec.products], dtype=float)
    jobs, _, extra = pol.push(
        rng, stations, products, demands, policy.params["plan"], initial, spec.horizon_days, history
    )
    extra["forecast_saw_the_horizon"] = float(history is None)
    return jobs, initial, extra


def _by_source(
    spec: Spec, jobs: Jobs, demands: list[Any], initial: list[float]
) -> dict[str, float]:
    """Fill rate, stock and orders of each source's products, when the line has bought-in
    products (the line's own products under `production_`)."""
    kinds = [p.model.source.kind if p.model.source else "production" for p in spec.products]
    if set(kinds) == {"production"}:
        return {}
    out: dict[str, float] = {}
    for kind in src.SOURCE_KINDS:
        mine = [i for i, k in enumerate(kinds) if k == kind]
        if not mine:
            continue
        figures, _ = policy_metrics(
            src.subset(jobs, mine),
            [demands[i] for i in mine],
            [initial[i] for i in mine],
            spec.horizon_days,
            spec.warmup_days,
            series=False,
        )
        out[f"{kind}_fill_rate"] = figures["fill_rate"]
        out[f"{kind}_stock_mean"] = figures["fg_inventory_mean"]
        out[f"{kind}_backorders_mean"] = figures["backorders_mean"]
        out[f"{kind}_orders_released"] = figures["work_orders_released"]
        out[f"{kind}_order_lead_time_mean_days"] = figures["order_lead_time_mean_days"]
    return out


def _arrival_cv(jobs: Jobs, start: float, end: float, line: list[int]) -> float:
    """CV of the times between jobs entering the line (Kingman's c_a); bought-in orders
    do not enter it."""
    window = (jobs.release >= start) & (jobs.release <= end) & np.isin(jobs.product, line)
    entered = np.sort(jobs.release[window])
    gaps = np.diff(entered)
    return float(gaps.std() / gaps.mean()) if len(gaps) > 1 and gaps.mean() > 0 else 0.0


def _peak_rate(demands: list[Any], spec: Spec) -> float:
    """Units demanded per day in the busiest week of the measured window."""
    days = spec.horizon_days
    daily = sum((d.daily(days) for d in demands), np.zeros(days))[spec.warmup_days :]
    width = min(PEAK_WINDOW_DAYS, len(daily))
    if not width:
        return 0.0
    return float(np.convolve(daily, np.ones(width) / width, mode="valid").max())


def compare(raw_spec: Any, progress: Progress | None = None) -> dict[str, Any]:
    """Results of every policy in the spec: mean KPIs, 95% half-widths, a sample series."""
    spec = parse_spec(raw_spec)
    root = np.random.SeedSequence(spec.seed)
    rep_seeds = root.spawn(spec.replications)
    per_policy: list[list[dict[str, float]]] = [[] for _ in spec.policies]
    series: list[dict[str, list[float]]] = [{} for _ in spec.policies]
    cycle_samples: list[list[float]] = [[] for _ in spec.policies]
    steps = spec.replications * len(spec.policies)
    done = 0
    context_demand: list[float] = []
    peaks: list[float] = []
    line_units: list[float] = []
    line = src.made_on_line([p.model for p in spec.products])
    window = (float(spec.warmup_days), float(spec.horizon_days))
    for r, seed in enumerate(rep_seeds):
        demand_seed, *policy_seeds = seed.spawn(1 + len(spec.policies))
        demands = spec.demands(np.random.default_rng(demand_seed))
        measured = [d.daily(spec.horizon_days)[spec.warmup_days :] for d in demands]
        context_demand.append(float(np.mean([m.std() / max(m.mean(), 1e-12) for m in measured])))
        # The line's load is the demand for what it makes.
        peaks.append(_peak_rate([demands[i] for i in line], spec))
        line_units.append(float(sum(measured[i].sum() for i in line)))
        for i, policy in enumerate(spec.policies):
            jobs, initial, extra = run_policy(
                policy, spec, np.random.default_rng(policy_seeds[i]), demands
            )
            metrics, daily = policy_metrics(
                jobs, demands, initial, spec.horizon_days, spec.warmup_days
            )
            metrics["opening_stock"] = float(sum(initial))
            metrics["arrival_cv"] = _arrival_cv(jobs, *window, line)
            metrics.update(extra)
            per_policy[i].append(metrics)
            if r == 0:
                series[i] = daily
                finished = (jobs.done <= window[1]) & (jobs.done >= window[0])
                cycle_samples[i] = np.round(
                    jobs.done[finished] - jobs.release[finished], 4
                ).tolist()[:5000]
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
                "release": policy.params["release"].kind if policy.kind == "push" else None,
                "metrics": mean,
                "ci95": half,
                "series": series[i],
                "cycle_times_days": cycle_samples[i],
            }
        )
    rate = float(np.mean(line_units)) / (spec.horizon_days - spec.warmup_days)
    context = _context(spec, float(np.mean(context_demand)), float(np.mean(peaks)), rate)
    judged = verdict(results, context)
    judged["reasons"].extend(like_for_like(spec, results, run_policy))
    return {
        "horizon_days": spec.horizon_days,
        "warmup_days": spec.warmup_days,
        "replications": spec.replications,
        "seed": spec.seed,
        "policies": results,
        "context": context,
        "verdict": judged,
    }


def _context(spec: Spec, demand_cv: float, peak_rate: float, rate: float) -> dict[str, Any]:
    """The reasons behind the numbers: load (mean and peak) of the products the line
    makes, variability, lead times, and the products bought in."""
    made = [p.model for p in spec.products if p.model.source is None]
    container = float(np.mean([p.container_quantity for p in made]))
    stations = []
    for s in spec.stations:
        stations.append(
            {
                "name": s.name,
                "machines": s.machines,
                "utilisation": rate * s.unit_time.mean / s.machines,
                "peak_utilisation": peak_rate * s.unit_time.mean / s.machines,
                "unit_time_cv": s.unit_time.effective_cv,
                # A container's time is the sum of its units' times.
                "job_time_cv": s.unit_time.effective_cv / np.sqrt(container),
                "job_time_days": s.unit_time.mean * container / s.machines,
            }
        )
    bottleneck = max(stations, key=lambda s: s["utilisation"])
    return {
        "demand_per_day": rate,
        "peak_demand_per_day": peak_rate,
        "daily_demand_cv": demand_cv,
        "stations": stations,
        "bottleneck": bottleneck["name"],
        "bottleneck_utilisation": bottleneck["utilisation"],
        "peak_utilisation": bottleneck["peak_utilisation"],
        "planned_lead_time_days": float(np.mean([p.lead_time_days for p in made])),
        "bought_in": [
            {
                "sku": p.model.sku,
                "source": p.model.source.kind,
                "lead_time_days": p.model.source.lead_time.mean,
                "lead_time_cv": p.model.source.lead_time.effective_cv,
                "warehouse_cards": p.model.source.warehouse.cards
                if p.model.source.warehouse
                else None,
            }
            for p in spec.products
            if p.model.source is not None
        ],
        "raw_process_time_days": float(sum(s.unit_time.mean * container for s in spec.stations)),
        "advance_demand_days": {
            p.label: p.params["plan"].advance_demand_days for p in spec.policies if p.kind == "push"
        },
    }
