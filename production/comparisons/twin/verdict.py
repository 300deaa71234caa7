"""What the numbers of a comparison say: the best policy on each measure (ties within
the noise are ties, the best is the best value, not the first policy of the spec), a
summary, and a reason for every policy that ran."""

from __future__ import annotations

from typing import Any

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


def _leaders(
    results: list[dict[str, Any]], key: str, direction: str
) -> tuple[list[str], list[str], bool]:
    """Policies as good as the best on `key` (within the 95% intervals, or 0.5%), best
    first; the policies that share the best value exactly; and whether a single leader
    is clear of the runner-up beyond both intervals."""
    sign = -1.0 if direction == "higher" else 1.0
    values = sorted(
        ((r["metrics"][key], r["ci95"][key], r["label"]) for r in results),
        key=lambda v: sign * v[0],
    )
    top = values[0]
    slack = 0.002 if key == "fill_rate" else 0.005 * abs(top[0]) + 1e-9
    leaders = [v[2] for v in values if abs(v[0] - top[0]) <= max(v[1] + top[1], slack)]
    tied = [v[2] for v in values if abs(v[0] - top[0]) <= 1e-9 * max(1.0, abs(top[0]))]
    others = [v for v in values if v[2] not in leaders]
    clear = (
        len(leaders) == 1 and bool(others) and abs(top[0] - others[0][0]) > top[1] + others[0][1]
    )
    return leaders, tied, clear


def _names(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _verb(labels: list[str], one: str, many: str) -> str:
    return one if len(labels) == 1 else many


def verdict(results: list[dict[str, Any]], context: dict[str, Any]) -> dict[str, Any]:
    """Who did best on each measure (ties within the noise count as ties), and why."""
    best: list[dict[str, Any]] = []
    lead: dict[str, list[str]] = {}
    for key, direction, label in HEADLINE:
        leaders, tied, clear = _leaders(results, key, direction)
        lead[key] = leaders
        everyone = len(leaders) == len(results)
        best.append(
            {
                "metric": key,
                "label": label,
                # None when several share the best value: no policy is "the" best.
                "best": tied[0] if len(tied) == 1 else None,
                "tied_best": tied if len(tied) > 1 else [],
                "leaders": [] if everyone else leaders,
                "clear": clear,
            }
        )
    return {
        "summary": _summary(results, lead),
        "best": best,
        "reasons": _reasons(results, context),
    }


def _summary(results: list[dict[str, Any]], lead: dict[str, list[str]]) -> str:
    by_label = {r["label"]: r["metrics"] for r in results}
    service, lean = lead["fill_rate"], lead["fg_inventory_mean"]
    both = [name for name in service if name in lean]
    fills = [r["metrics"]["fill_rate"] for r in results]
    service_tie = len(service) == len(results) > 1
    lean_tie = len(lean) == len(results) > 1
    if service_tie and lean_tie:
        return "All policies give the same service with the same finished stock here, within the noise."
    if service_tie:
        m = by_label[lean[0]]
        return (
            f"Service is the same within the noise (fill rate {min(fills):.1%} to {max(fills):.1%}); "
            f"{_names(lean)} {_verb(lean, 'holds', 'hold')} the least finished stock "
            f"({m['fg_inventory_mean']:.0f} units)."
        )
    if lean_tie:
        m = by_label[service[0]]
        return (
            f"{_names(service)} {_verb(service, 'gives', 'give')} the best service "
            f"(fill rate {m['fill_rate']:.1%}); finished stock is the same within the noise."
        )
    if both:
        m = by_label[both[0]]
        return (
            f"{_names(both)} {_verb(both, 'gives', 'give')} the best service (fill rate "
            f"{m['fill_rate']:.1%}) with the least finished stock ({m['fg_inventory_mean']:.0f} "
            "units) on this demand."
        )
    s, i = by_label[service[0]], by_label[lean[0]]
    return (
        f"{_names(service)} {_verb(service, 'gives', 'give')} the best service "
        f"(fill rate {s['fill_rate']:.1%}); {_names(lean)} {_verb(lean, 'holds', 'hold')} the "
        f"least finished stock ({i['fg_inventory_mean']:.0f} units, fill rate "
        f"{i['fill_rate']:.1%}). No policy wins on everything here."
    )


def _load_reason(ctx: dict[str, Any]) -> str:
    """Judged on the busiest week, not the mean: a line that keeps up on average can
    still fall behind for a week."""
    u, peak = ctx["bottleneck_utilisation"], ctx["peak_utilisation"]
    head = (
        f"Bottleneck {ctx['bottleneck']}: utilisation {u:.0%} on average and {peak:.0%} in "
        f"the busiest week ({ctx['peak_demand_per_day']:.0f} units a day): "
    )
    if peak >= 1:
        return (
            head
            + "demand then exceeds what the line can make, so backorders build up whatever the policy."
        )
    if peak > 0.85:
        return head + "queues grow sharply with variability at that load."
    if peak < 0.7:
        return head + "the line has spare capacity even then, so queues stay short."
    return head + "moderate queueing at the peak."


def _queue_days(ctx: dict[str, Any], arrival_cv: float) -> float | None:
    """Kingman's VUT at the bottleneck: ((ca^2 + ce^2) / 2) (u / (1 - u)) te, per job."""
    station = next(s for s in ctx["stations"] if s["name"] == ctx["bottleneck"])
    u = station["utilisation"]
    if not 0 < u < 1:
        return None
    v = (arrival_cv**2 + station["job_time_cv"] ** 2) / 2
    return v * u / (1 - u) * station["job_time_days"]


def _flow_reason(ctx: dict[str, Any], m: dict[str, float]) -> str:
    queue = _queue_days(ctx, m["arrival_cv"])
    vut = (
        f"; the VUT equation (Kingman) puts the wait at the bottleneck at about {queue:.2f} days a job"
        if queue is not None
        else ""
    )
    return (
        f"work enters the line with an arrival CV of {m['arrival_cv']:.2f}{vut}; "
        f"mean cycle time {m['cycle_time_mean_days']:.2f} days"
    )


def _push_reasons(r: dict[str, Any], ctx: dict[str, Any]) -> list[str]:
    m, label = r["metrics"], r["label"]
    if r.get("release") in ("timed", "poisson"):
        return [
            f"{label}: releases work on its own schedule whatever the demand; "
            f"{_flow_reason(ctx, m)}; it made {m['units_made']:.0f} units against "
            f"{m['units_demanded']:.0f} demanded."
        ]
    out = []
    mean = m.get("forecast_mean_daily_demand", 0.0)
    ratio = m.get("forecast_rmse_per_day", 0.0) / mean if mean else 0.0
    out.append(
        f"{label}: forecast error (one-day RMSE) is {ratio:.0%} of mean daily demand: "
        + (
            "push plans on good information"
            if ratio < 0.2
            else "push has to cover a noisy forecast with safety stock"
        )
        + f"; {_flow_reason(ctx, m)}."
    )
    if m.get("forecast_saw_the_horizon"):
        out.append(
            f"{label}: no demand history before the period was given (history_before), so "
            "its first forecasts were made from the demand of the period itself: it saw the future, "
            "and its figures flatter it."
        )
    firm = ctx.get("advance_demand_days", {}).get(label)
    if firm:
        out.append(
            f"{label} sees {firm} days of firm orders ahead, which replaces forecast and "
            "safety stock over that span."
        )
    planned, actual = ctx["planned_lead_time_days"], m.get("order_lead_time_mean_days", 0.0)
    if actual > planned * 1.1:
        out.append(
            f"{label} plans with a {planned:.2f}-day lead time but its orders took "
            f"{actual:.2f} days from release to their last container: it releases too late "
            "and backorders follow."
        )
    elif actual < planned * 0.7:
        out.append(
            f"{label} plans with a {planned:.2f}-day lead time while its orders took "
            f"{actual:.2f} days: it holds stock earlier than needed."
        )
    return out


def _reasons(results: list[dict[str, Any]], ctx: dict[str, Any]) -> list[str]:
    out = [_load_reason(ctx)]
    cvs = [s["unit_time_cv"] for s in ctx["stations"]]
    out.append(
        f"Process variability: unit-time CV {min(cvs):.2f} to {max(cvs):.2f}; daily demand "
        f"CV {ctx['daily_demand_cv']:.2f}."
    )
    for r in results:
        m = r["metrics"]
        if r["kind"] == "kanban":
            out.append(
                f"{r['label']}: the cards cap finished stock plus WIP at "
                f"{m['opening_stock']:.0f} units; {_flow_reason(ctx, m)}."
            )
        elif r["kind"] == "conwip":
            out.append(
                f"{r['label']}: WIP is capped, base stock {m['opening_stock']:.0f} units; "
                f"{_flow_reason(ctx, m)}."
            )
        elif r["kind"] == "saturated":
            out.append(
                f"{r['label']}: the line always has work waiting and holds "
                f"{m['wip_mean']:.0f} units in process; throughput "
                f"{m['throughput_per_day']:.1f} units a day, cycle time "
                f"{m['cycle_time_mean_days']:.2f} days (demand does not drive it)."
            )
        else:
            out.extend(_push_reasons(r, ctx))
    return out
