"""The comparison spec: a plain dict (JSON), validated into the twin's dataclasses.

    {
      "horizon_days": 120,            # optional when demand is replayed (its length)
      "seed": 7, "replications": 5,
      "stations": [{"name": "press", "machines": 1, "supermarket_after": false,
                    "unit_time": {"dist": "lognormal", "mean_minutes": 6, "cv": 0.5}}],
      "products": [{"sku": "A", "container_quantity": 10, "lead_time_days": 1,
                    "demand": {"kind": "poisson", "rate_per_day": 40},
                    "history_before": [..daily quantities before the horizon..]}],
      "warmup_days": 0,               # optional: days run but not measured
      "policies": [{"kind": "kanban", "cards": 4},
                   {"kind": "conwip", "wip_cap": 6},
                   {"kind": "push", "service_level": 0.95, "lot_sizing": "containers"}]
    }

Unit times: `dist` is deterministic, exponential, lognormal or gamma, with
`mean_minutes` (or `mean_hours`) per unit and `cv`; the line works around the clock.
Demand kinds: `poisson` (`rate_per_day` unit orders), `distribution` (one order a day,
`dist` gamma/lognormal/deterministic with `mean_per_day`, `cv`), `history` (`daily`
totals or `events` `[[day, quantity], ...]`). Kanban `cards` and CONWIP `base_stock`
are a number for every product or a map sku -> number; `cell_cards` sizes the loops
around cells upstream of intermediate supermarkets (one-product lines). Opening stock is
in containers for every policy (kanban `cards`, CONWIP `base_stock`, push
`opening_stock`). Push lines release the daily planner's lots (`"release": {"kind":
"mrp"}`), or `quantity` units per product every `every_days` (`timed`) or at Poisson
times of `rate_per_day` (`poisson`). `{"kind": "saturated", "wip": w}` is a closed line
that always has work waiting (best- and worst-case studies, one-product lines). A key
the spec does not know is refused by name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from production.comparisons.twin.checks import SpecError, num, obj, seq
from production.comparisons.twin.demand import Demand, daily_demand, poisson_demand, replayed_demand
from production.comparisons.twin.distributions import KINDS, Dist
from production.comparisons.twin.policy_spec import (
    MAX_CARDS,
    POLICY_KINDS,
    PolicySpec,
    parse_policy,
)
from production.comparisons.twin.stations import ProductModel, Source, Station, Warehouse

__all__ = [
    "MAX_CARDS",
    "MAX_HORIZON_DAYS",
    "MAX_POLICIES",
    "MAX_REPLICATIONS",
    "MAX_SIMULATED_WORK",
    "POLICY_KINDS",
    "PolicySpec",
    "ProductSpec",
    "Spec",
    "SpecError",
    "parse_spec",
    "saturated_jobs",
]

MAX_REPLICATIONS = 50
MAX_HORIZON_DAYS = 3660
MAX_POLICIES = 10
SPEC_KEYS = (
    "horizon_days",
    "seed",
    "replications",
    "warmup_days",
    "stations",
    "products",
    "policies",
    "source",
)
STATION_KEYS = ("name", "machines", "unit_time", "supermarket_after")
UNIT_TIME_KEYS = ("dist", "mean_minutes", "mean_hours", "mean_days", "cv")
PRODUCT_KEYS = (
    "sku",
    "container_quantity",
    "lead_time_days",
    "demand",
    "history_before",
    "source",
)
SOURCE_KEYS = {
    "production": ("kind",),
    "supplier": ("kind", "lead_time"),
    "transfer": ("kind", "lead_time", "warehouse"),
}
WAREHOUSE_KEYS = ("cards", "lead_time")
DEMAND_KEYS = {
    "poisson": ("kind", "rate_per_day"),
    "distribution": ("kind", "dist", "mean_per_day", "cv"),
    "history": ("kind", "daily", "events"),
}
# Demand orders plus jobs (containers or lots) over every replication and policy, estimated
# before anything runs: about a minute of the twin, and memory well under a gigabyte.
MAX_SIMULATED_WORK = 20_000_000
MINUTES_PER_DAY = 1440.0


@dataclass
class ProductSpec:
    model: ProductModel
    demand: dict[str, Any]
    history_before: list[float] = field(default_factory=list)


@dataclass
class Spec:
    horizon_days: int
    warmup_days: int
    seed: int
    replications: int
    stations: list[Station]
    products: list[ProductSpec]
    policies: list[PolicySpec]
    raw: dict[str, Any]

    def demands(self, rng: np.random.Generator) -> list[Demand]:
        out = []
        for p in self.products:
            d = p.demand
            if d["kind"] == "poisson":
                out.append(
                    poisson_demand(rng, rate_per_day=d["rate_per_day"], days=self.horizon_days)
                )
            elif d["kind"] == "distribution":
                dist = Dist(d["dist"], d["mean_per_day"], d.get("cv", 0.0))
                out.append(daily_demand(rng, dist=dist, days=self.horizon_days))
            else:
                full = replayed_demand(rng, daily=d.get("daily"), events=d.get("events"))
                keep = full.times < self.horizon_days
                out.append(Demand(full.times[keep], full.quantities[keep]))
        return out


def _unit_time(raw: Any, path: str) -> Dist:
    raw = obj(raw, path, UNIT_TIME_KEYS)
    kind = raw.get("dist", "deterministic")
    if kind not in KINDS:
        raise SpecError(f"must be one of {', '.join(KINDS)}", field=f"{path}.dist")
    if "mean_minutes" in raw:
        mean = num(raw["mean_minutes"], f"{path}.mean_minutes") / MINUTES_PER_DAY
    elif "mean_hours" in raw:
        mean = num(raw["mean_hours"], f"{path}.mean_hours") / 24.0
    elif "mean_days" in raw:
        mean = num(raw["mean_days"], f"{path}.mean_days")
    else:
        raise SpecError("give mean_minutes, mean_hours or mean_days", field=path)
    cv = num(raw.get("cv", 0.0), f"{path}.cv", allow_zero=True)
    if kind in ("lognormal", "gamma") and cv == 0:
        raise SpecError("a lognormal or gamma time needs cv > 0", field=f"{path}.cv")
    return Dist(kind, mean, cv)


def _source(raw: Any, path: str) -> Source | None:
    """Where a product comes from: the line (`production`, the default), a `supplier` or a
    `transfer`, each a `lead_time` per order (a distribution, as unit times are given);
    a transfer may draw on a `warehouse` of `cards` containers with its own lead time."""
    if raw is None:
        return None
    raw = obj(raw, path)
    kind = raw.get("kind")
    if kind not in SOURCE_KEYS:
        raise SpecError(f"must be one of {', '.join(SOURCE_KEYS)}", field=f"{path}.kind")
    obj(raw, path, SOURCE_KEYS[kind])
    if kind == "production":
        return None
    warehouse = None
    if raw.get("warehouse") is not None:
        wpath = f"{path}.warehouse"
        w = obj(raw["warehouse"], wpath, WAREHOUSE_KEYS)
        cards = num(w.get("cards"), f"{wpath}.cards", allow_zero=True, integer=True)
        if cards > MAX_CARDS:
            raise SpecError(f"at most {MAX_CARDS:,}", field=f"{wpath}.cards")
        warehouse = Warehouse(cards, _unit_time(w.get("lead_time"), f"{wpath}.lead_time"))
    return Source(kind, _unit_time(raw.get("lead_time"), f"{path}.lead_time"), warehouse)


def _demand(raw: Any, path: str) -> tuple[dict[str, Any], int | None]:
    raw = obj(raw, path)
    kind = raw.get("kind")
    if kind in DEMAND_KEYS:
        obj(raw, path, DEMAND_KEYS[kind])
    if kind == "poisson":
        return {
            "kind": kind,
            "rate_per_day": num(raw.get("rate_per_day"), f"{path}.rate_per_day"),
        }, None
    if kind == "distribution":
        dist = raw.get("dist", "gamma")
        if dist not in ("gamma", "lognormal", "deterministic"):
            raise SpecError("must be gamma, lognormal or deterministic", field=f"{path}.dist")
        cv = num(raw.get("cv", 0.0), f"{path}.cv", allow_zero=True)
        if dist != "deterministic" and cv == 0:
            raise SpecError("needs cv > 0", field=f"{path}.cv")
        return {
            "kind": kind,
            "dist": dist,
            "mean_per_day": num(raw.get("mean_per_day"), f"{path}.mean_per_day"),
            "cv": cv,
        }, None
    if kind == "history":
        if raw.get("events") is not None:
            events = seq(raw["events"], f"{path}.events")
            clean = []
            for i, ev in enumerate(events):
                if not isinstance(ev, list | tuple) or len(ev) != 2:
                    raise SpecError("must be [day, quantity]", field=f"{path}.events[{i}]")
                clean.append(
                    [
                        num(ev[0], f"{path}.events[{i}][0]", allow_zero=True),
                        num(ev[1], f"{path}.events[{i}][1]"),
                    ]
                )
            return {"kind": kind, "events": clean}, math.ceil(max(e[0] for e in clean) + 1e-9) or 1
        daily = seq(raw.get("daily"), f"{path}.daily")
        values = [num(v, f"{path}.daily[{i}]", allow_zero=True) for i, v in enumerate(daily)]
        return {"kind": kind, "daily": values}, len(values)
    raise SpecError("must be poisson, distribution or history", field=f"{path}.kind")


def parse_spec(raw: Any) -> Spec:
    """Validate a spec dict; raises SpecError naming the field at fault."""
    raw = obj(raw, "spec", SPEC_KEYS)
    stations = []
    for i, s in enumerate(seq(raw.get("stations"), "stations")):
        s = obj(s, f"stations[{i}]", STATION_KEYS)
        stations.append(
            Station(
                name=str(s.get("name") or f"station {i + 1}"),
                machines=num(
                    s.get("machines", 1),
                    f"stations[{i}].machines",
                    low=1,
                    allow_zero=True,
                    integer=True,
                ),
                unit_time=_unit_time(s.get("unit_time"), f"stations[{i}].unit_time"),
                supermarket_after=bool(s.get("supermarket_after", False)),
            )
        )
    products: list[ProductSpec] = []
    lengths: list[int] = []
    for i, p in enumerate(seq(raw.get("products"), "products")):
        p = obj(p, f"products[{i}]", PRODUCT_KEYS)
        sku = str(p.get("sku") or f"P{i + 1}")
        demand, length = _demand(p.get("demand"), f"products[{i}].demand")
        if length:
            lengths.append(length)
        before = [
            num(v, f"products[{i}].history_before", allow_zero=True)
            for v in p.get("history_before") or []
        ]
        source = _source(p.get("source"), f"products[{i}].source")
        # A bought-in product is planned over its source's lead time unless told otherwise.
        planned = source.lead_time.mean if source is not None else 1.0
        products.append(
            ProductSpec(
                ProductModel(
                    sku=sku,
                    container_quantity=num(
                        p.get("container_quantity"), f"products[{i}].container_quantity"
                    ),
                    lead_time_days=num(
                        p.get("lead_time_days", planned), f"products[{i}].lead_time_days"
                    ),
                    source=source,
                ),
                demand,
                before,
            )
        )
    skus = [p.model.sku for p in products]
    if len(set(skus)) != len(skus):
        raise SpecError("SKUs must be unique", field="products")
    if "horizon_days" in raw:
        horizon = num(raw["horizon_days"], "horizon_days", integer=True)
    elif lengths:
        horizon = max(lengths)
    else:
        raise SpecError("required unless demand is replayed from the history", field="horizon_days")
    if horizon > MAX_HORIZON_DAYS:
        raise SpecError(f"at most {MAX_HORIZON_DAYS} days", field="horizon_days")
    reps = num(raw.get("replications", 1), "replications", low=1, allow_zero=True, integer=True)
    if reps > MAX_REPLICATIONS:
        raise SpecError(f"at most {MAX_REPLICATIONS}", field="replications")
    seed = num(raw.get("seed", 0), "seed", allow_zero=True, integer=True)
    raw_policies = seq(raw.get("policies"), "policies")
    if len(raw_policies) > MAX_POLICIES:
        raise SpecError(f"at most {MAX_POLICIES} policies", field="policies")
    policies = [parse_policy(p, i, skus, stations) for i, p in enumerate(raw_policies)]
    _check_sources(products, policies)
    warmup = num(raw.get("warmup_days", 0), "warmup_days", integer=True, allow_zero=True)
    if warmup >= horizon:
        raise SpecError(f"must be below the horizon ({horizon} days)", field="warmup_days")
    spec = Spec(horizon, warmup, seed, reps, stations, products, policies, raw)
    _check_size(spec)
    return spec


def _check_sources(products: list[ProductSpec], policies: list[PolicySpec]) -> None:
    """The line must make something, and a saturated line is one made product."""
    if all(p.model.source is not None for p in products):
        raise SpecError(
            "at least one product must be made on the line (source production)", field="products"
        )
    for i, policy in enumerate(policies):
        if policy.kind == "saturated" and products[0].model.source is not None:
            raise SpecError("a saturated line needs a product made on it", field=f"policies[{i}]")


def _work_per_replication(product: ProductSpec, horizon: int) -> float:
    """Demand orders and containers of one product over the horizon, once."""
    d = product.demand
    if d["kind"] == "poisson":
        orders = units = d["rate_per_day"] * horizon
    elif d["kind"] == "distribution":
        orders, units = float(horizon), d["mean_per_day"] * horizon
    elif d.get("events") is not None:
        kept = [q for day, q in d["events"] if day < horizon]
        orders, units = float(len(kept)), float(sum(kept))
    else:
        daily = d["daily"][:horizon]
        orders, units = float(sum(1 for q in daily if q)), float(sum(daily))
    return orders + units / product.model.container_quantity + horizon


def saturated_jobs(spec: Spec, wip: int) -> int:
    """Jobs enough to keep a saturated line busy past the horizon: the bottleneck's rate
    with a margin, plus the jobs in the loop."""
    container = spec.products[0].model.container_quantity
    rate = min(s.machines / (s.unit_time.mean * container) for s in spec.stations)
    return math.ceil(spec.horizon_days * rate * 1.25) + wip + 16


def _released_jobs(policy: PolicySpec, spec: Spec) -> float:
    """Jobs a policy releases whatever the demand (saturated lines, timed or Poisson pushes)."""
    if policy.kind == "saturated":
        return float(saturated_jobs(spec, policy.params["wip"]))
    release = policy.params.get("release")
    if release is None or release.kind == "mrp":
        return 0.0
    count = (
        spec.horizon_days / release.every_days
        if release.kind == "timed"
        else spec.horizon_days * release.rate_per_day
    )
    return sum(
        count * math.ceil(q / p.model.container_quantity)
        for q, p in zip(release.quantity, spec.products, strict=True)
    )


def _check_size(spec: Spec) -> None:
    """Refuse, before it runs, a spec whose simulation would not fit in a worker."""
    per_product = [_work_per_replication(p, spec.horizon_days) for p in spec.products]
    per_policy = [sum(per_product) + _released_jobs(p, spec) for p in spec.policies]
    work = sum(per_policy) * spec.replications
    if work > MAX_SIMULATED_WORK:
        biggest = max(range(len(per_product)), key=per_product.__getitem__)
        field = f"products[{biggest}].demand"
        heaviest = max(range(len(per_policy)), key=per_policy.__getitem__)
        if per_policy[heaviest] > 2 * sum(per_product):
            field = f"policies[{heaviest}]"
        raise SpecError(
            f"the spec would simulate about {work:,.0f} demand orders and jobs over its "
            f"replications and policies, past the bound of {MAX_SIMULATED_WORK:,}: lower "
            "the demand, the horizon, the replications or the number of policies",
            field=field,
        )
