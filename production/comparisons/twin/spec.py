"""The comparison spec: a plain dict (JSON), validated into the twin's dataclasses.

    {
      "horizon_days": 120,            # optional when demand is replayed (its length)
      "seed": 7, "replications": 5,
      "stations": [{"name": "press", "machines": 1, "supermarket_after": false,
                    "unit_time": {"dist": "lognormal", "mean_minutes": 6, "cv": 0.5}}],
      "products": [{"sku": "A", "container_quantity": 10, "lead_time_days": 1,
                    "demand": {"kind": "poisson", "rate_per_day": 40},
                    "history_before": [..daily quantities before the horizon..]}],
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
around cells upstream of intermediate supermarkets (one-product lines).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from production.comparisons.twin.demand import Demand, daily_demand, poisson_demand, replayed_demand
from production.comparisons.twin.distributions import KINDS, Dist
from production.comparisons.twin.policies import ProductModel, PushPlan, Station
from production.planning.core import LOT_SIZING_POLICIES

POLICY_KINDS = ("kanban", "conwip", "push")
MAX_REPLICATIONS = 50
MAX_HORIZON_DAYS = 3660
MAX_POLICIES = 10
MAX_CARDS = 10_000
# Demand orders plus jobs (containers or lots) over every replication and policy, estimated
# before anything runs: about a minute of the twin, and memory well under a gigabyte.
MAX_SIMULATED_WORK = 20_000_000
MINUTES_PER_DAY = 1440.0


class SpecError(ValueError):
    """The spec is not valid; `field` is the path of the value at fault."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.message = message
        self.field = field


@dataclass
class PolicySpec:
    kind: str
    label: str
    params: dict[str, Any]


@dataclass
class ProductSpec:
    model: ProductModel
    demand: dict[str, Any]
    history_before: list[float] = field(default_factory=list)


@dataclass
class Spec:
    horizon_days: int
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


def _num(
    value: Any, path: str, *, low: float = 0.0, integer: bool = False, allow_zero: bool = False
) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError("must be a number", field=path)
    if integer and int(value) != value:
        raise SpecError("must be a whole number", field=path)
    if value < low or (value == low and not allow_zero):
        raise SpecError(f"must be greater than {low:g}", field=path)
    return int(value) if integer else float(value)


def _obj(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SpecError("must be an object", field=path)
    return value


def _list(value: Any, path: str, *, nonempty: bool = True) -> list[Any]:
    if not isinstance(value, list) or (nonempty and not value):
        raise SpecError("must be a non-empty list", field=path)
    return value


def _unit_time(raw: Any, path: str) -> Dist:
    raw = _obj(raw, path)
    kind = raw.get("dist", "deterministic")
    if kind not in KINDS:
        raise SpecError(f"must be one of {', '.join(KINDS)}", field=f"{path}.dist")
    if "mean_minutes" in raw:
        mean = _num(raw["mean_minutes"], f"{path}.mean_minutes") / MINUTES_PER_DAY
    elif "mean_hours" in raw:
        mean = _num(raw["mean_hours"], f"{path}.mean_hours") / 24.0
    elif "mean_days" in raw:
        mean = _num(raw["mean_days"], f"{path}.mean_days")
    else:
        raise SpecError("give mean_minutes, mean_hours or mean_days", field=path)
    cv = _num(raw.get("cv", 0.0), f"{path}.cv", allow_zero=True)
    if kind in ("lognormal", "gamma") and cv == 0:
        raise SpecError("a lognormal or gamma time needs cv > 0", field=f"{path}.cv")
    return Dist(kind, mean, cv)


def _demand(raw: Any, path: str) -> tuple[dict[str, Any], int | None]:
    raw = _obj(raw, path)
    kind = raw.get("kind")
    if kind == "poisson":
        return {
            "kind": kind,
            "rate_per_day": _num(raw.get("rate_per_day"), f"{path}.rate_per_day"),
        }, None
    if kind == "distribution":
        dist = raw.get("dist", "gamma")
        if dist not in ("gamma", "lognormal", "deterministic"):
            raise SpecError("must be gamma, lognormal or deterministic", field=f"{path}.dist")
        cv = _num(raw.get("cv", 0.0), f"{path}.cv", allow_zero=True)
        if dist != "deterministic" and cv == 0:
            raise SpecError("needs cv > 0", field=f"{path}.cv")
        return {
            "kind": kind,
            "dist": dist,
            "mean_per_day": _num(raw.get("mean_per_day"), f"{path}.mean_per_day"),
            "cv": cv,
        }, None
    if kind == "history":
        if raw.get("events") is not None:
            events = _list(raw["events"], f"{path}.events")
            clean = []
            for i, ev in enumerate(events):
                if not isinstance(ev, list | tuple) or len(ev) != 2:
                    raise SpecError("must be [day, quantity]", field=f"{path}.events[{i}]")
                clean.append(
                    [
                        _num(ev[0], f"{path}.events[{i}][0]", allow_zero=True),
                        _num(ev[1], f"{path}.events[{i}][1]"),
                    ]
                )
            return {"kind": kind, "events": clean}, math.ceil(max(e[0] for e in clean) + 1e-9) or 1
        daily = _list(raw.get("daily"), f"{path}.daily")
        values = [_num(v, f"{path}.daily[{i}]", allow_zero=True) for i, v in enumerate(daily)]
        return {"kind": kind, "daily": values}, len(values)
    raise SpecError("must be poisson, distribution or history", field=f"{path}.kind")


def _per_product(value: Any, skus: list[str], path: str) -> list[int]:
    if isinstance(value, dict):
        missing = [s for s in skus if s not in value]
        if missing:
            raise SpecError(f"no value for {', '.join(missing)}", field=path)
        return [_num(value[s], f"{path}.{s}", low=1, allow_zero=True, integer=True) for s in skus]
    n = _num(value, path, low=1, allow_zero=True, integer=True)
    return [n] * len(skus)


def parse_spec(raw: Any) -> Spec:
    """Validate a spec dict; raises SpecError naming the field at fault."""
    raw = _obj(raw, "spec")
    stations = []
    for i, s in enumerate(_list(raw.get("stations"), "stations")):
        s = _obj(s, f"stations[{i}]")
        stations.append(
            Station(
                name=str(s.get("name") or f"station {i + 1}"),
                machines=_num(
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
    for i, p in enumerate(_list(raw.get("products"), "products")):
        p = _obj(p, f"products[{i}]")
        sku = str(p.get("sku") or f"P{i + 1}")
        demand, length = _demand(p.get("demand"), f"products[{i}].demand")
        if length:
            lengths.append(length)
        before = [
            _num(v, f"products[{i}].history_before", allow_zero=True)
            for v in p.get("history_before") or []
        ]
        products.append(
            ProductSpec(
                ProductModel(
                    sku=sku,
                    container_quantity=_num(
                        p.get("container_quantity"), f"products[{i}].container_quantity"
                    ),
                    lead_time_days=_num(
                        p.get("lead_time_days", 1.0), f"products[{i}].lead_time_days"
                    ),
                ),
                demand,
                before,
            )
        )
    skus = [p.model.sku for p in products]
    if len(set(skus)) != len(skus):
        raise SpecError("SKUs must be unique", field="products")
    if "horizon_days" in raw:
        horizon = _num(raw["horizon_days"], "horizon_days", integer=True)
    elif lengths:
        horizon = max(lengths)
    else:
        raise SpecError("required unless demand is replayed from the history", field="horizon_days")
    if horizon > MAX_HORIZON_DAYS:
        raise SpecError(f"at most {MAX_HORIZON_DAYS} days", field="horizon_days")
    reps = _num(raw.get("replications", 1), "replications", low=1, allow_zero=True, integer=True)
    if reps > MAX_REPLICATIONS:
        raise SpecError(f"at most {MAX_REPLICATIONS}", field="replications")
    seed = _num(raw.get("seed", 0), "seed", allow_zero=True, integer=True)
    raw_policies = _list(raw.get("policies"), "policies")
    if len(raw_policies) > MAX_POLICIES:
        raise SpecError(f"at most {MAX_POLICIES} policies", field="policies")
    policies = [_policy(p, i, skus, stations) for i, p in enumerate(raw_policies)]
    spec = Spec(horizon, seed, reps, stations, products, policies, raw)
    _check_size(spec)
    return spec


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


def _check_size(spec: Spec) -> None:
    """Refuse, before it runs, a spec whose simulation would not fit in a worker."""
    per_product = [_work_per_replication(p, spec.horizon_days) for p in spec.products]
    work = sum(per_product) * spec.replications * len(spec.policies)
    if work > MAX_SIMULATED_WORK:
        biggest = max(range(len(per_product)), key=per_product.__getitem__)
        raise SpecError(
            f"the spec would simulate about {work:,.0f} demand orders and jobs over its "
            f"replications and policies, past the bound of {MAX_SIMULATED_WORK:,}: lower "
            "the demand, the horizon, the replications or the number of policies",
            field=f"products[{biggest}].demand",
        )


def _policy(raw: Any, i: int, skus: list[str], stations: list[Station]) -> PolicySpec:
    path = f"policies[{i}]"
    raw = _obj(raw, path)
    kind = raw.get("kind")
    if kind == "kanban":
        cards = _per_product(raw.get("cards"), skus, f"{path}.cards")
        if max(cards) > MAX_CARDS:
            raise SpecError(f"at most {MAX_CARDS:,} cards per product", field=f"{path}.cards")
        n_cells = 1 + sum(1 for s in stations[:-1] if s.supermarket_after)
        cell_cards = None
        if n_cells > 1:
            if len(skus) > 1:
                raise SpecError(
                    "intermediate supermarkets are modelled for one-product lines", field="stations"
                )
            given = raw.get("cell_cards", [cards[0]] * (n_cells - 1))
            given = _list(given, f"{path}.cell_cards")
            if len(given) != n_cells - 1:
                raise SpecError(
                    f"needs {n_cells - 1} numbers, one per upstream loop",
                    field=f"{path}.cell_cards",
                )
            cell_cards = [
                _num(v, f"{path}.cell_cards[{j}]", low=1, allow_zero=True, integer=True)
                for j, v in enumerate(given)
            ]
        label = raw.get("label") or f"kanban ({_describe(cards)} cards)"
        return PolicySpec("kanban", str(label), {"cards": cards, "cell_cards": cell_cards})
    if kind == "conwip":
        cap = _num(raw.get("wip_cap"), f"{path}.wip_cap", low=1, allow_zero=True, integer=True)
        base = _per_product(raw.get("base_stock", cap), skus, f"{path}.base_stock")
        label = raw.get("label") or f"CONWIP (cap {cap})"
        return PolicySpec("conwip", str(label), {"wip_cap": cap, "base_stock": base})
    if kind == "push":
        lot = raw.get("lot_sizing", "containers")
        if lot not in LOT_SIZING_POLICIES:
            raise SpecError(
                f"must be one of {', '.join(LOT_SIZING_POLICIES)}", field=f"{path}.lot_sizing"
            )
        level = _num(raw.get("service_level", 0.95), f"{path}.service_level")
        if level >= 1:
            raise SpecError("must be below 1", field=f"{path}.service_level")
        fixed = raw.get("fixed_lot_quantity")
        plan = PushPlan(
            service_level=level,
            lot_sizing=lot,
            fixed_lot_quantity=None if fixed is None else _num(fixed, f"{path}.fixed_lot_quantity"),
            setup_cost=_num(raw.get("setup_cost", 50.0), f"{path}.setup_cost", allow_zero=True),
            holding_cost_per_unit_day=_num(
                raw.get("holding_cost_per_unit_day", 0.01),
                f"{path}.holding_cost_per_unit_day",
                allow_zero=True,
            ),
            forecast_window_days=_num(
                raw.get("forecast_window_days", 28), f"{path}.forecast_window_days", integer=True
            ),
            advance_demand_days=_num(
                raw.get("advance_demand_days", 0),
                f"{path}.advance_demand_days",
                integer=True,
                allow_zero=True,
            ),
        )
        opening = raw.get("opening_stock")
        opening_units = (
            None
            if opening is None
            else [float(v) for v in _per_product(opening, skus, f"{path}.opening_stock")]
        )
        label = raw.get("label") or (
            "push (MRP"
            + (
                f", {plan.advance_demand_days} days of firm orders"
                if plan.advance_demand_days
                else ""
            )
            + ")"
        )
        return PolicySpec("push", str(label), {"plan": plan, "opening_stock": opening_units})
    raise SpecError(f"must be one of {', '.join(POLICY_KINDS)}", field=f"{path}.kind")


def _describe(values: list[int]) -> str:
    return str(values[0]) if len(set(values)) == 1 else f"{min(values)}-{max(values)}"
