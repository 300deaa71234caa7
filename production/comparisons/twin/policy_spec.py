"""The policies of a spec, validated: kanban, CONWIP, push (MRP lots or a release
process) and the saturated closed line.

Opening stock has one unit across policies: containers of the product. Kanban opens
with its `cards` full, CONWIP with `base_stock`, push with `opening_stock` (by default
the stock the first kanban or CONWIP policy opens with), each times the container
quantity; the results report it in product units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from production.comparisons.twin.checks import (
    SpecError,
    num,
    obj,
    per_product,
    per_product_amount,
    seq,
)
from production.comparisons.twin.push import PushPlan
from production.comparisons.twin.stations import Station
from production.planning.core import LOT_SIZING_POLICIES

POLICY_KINDS = ("kanban", "conwip", "push", "saturated")
RELEASE_KINDS = ("mrp", "timed", "poisson")
MAX_CARDS = 10_000

KANBAN_KEYS = ("kind", "label", "cards", "cell_cards")
CONWIP_KEYS = ("kind", "label", "wip_cap", "base_stock")
SATURATED_KEYS = ("kind", "label", "wip")
PUSH_KEYS = (
    "kind",
    "label",
    "service_level",
    "lot_sizing",
    "fixed_lot_quantity",
    "setup_cost",
    "holding_cost_per_unit_day",
    "forecast_window_days",
    "advance_demand_days",
    "opening_stock",
    "release",
)
RELEASE_KEYS = {
    "mrp": ("kind",),
    "timed": ("kind", "every_days", "quantity"),
    "poisson": ("kind", "rate_per_day", "quantity"),
}


@dataclass
class PolicySpec:
    kind: str
    label: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Release:
    """How a push line releases work: `mrp` (the daily planner's lots), or `quantity`
    units of each product every `every_days` (`timed`) or at Poisson times of
    `rate_per_day` (`poisson`), whatever the demand: the textbook push line."""

    kind: str = "mrp"
    every_days: float = 1.0
    rate_per_day: float = 0.0
    quantity: tuple[float, ...] = ()


def parse_policy(raw: Any, i: int, skus: list[str], stations: list[Station]) -> PolicySpec:
    path = f"policies[{i}]"
    raw = obj(raw, path)
    kind = raw.get("kind")
    if kind == "kanban":
        return _kanban(obj(raw, path, KANBAN_KEYS), path, skus, stations)
    if kind == "conwip":
        raw = obj(raw, path, CONWIP_KEYS)
        cap = num(raw.get("wip_cap"), f"{path}.wip_cap", low=1, allow_zero=True, integer=True)
        # No base stock is a legal CONWIP line: every order is made to order.
        base = per_product(raw.get("base_stock", cap), skus, f"{path}.base_stock", low=0)
        label = raw.get("label") or f"CONWIP (cap {cap})"
        return PolicySpec("conwip", str(label), {"wip_cap": cap, "base_stock": base})
    if kind == "saturated":
        raw = obj(raw, path, SATURATED_KEYS)
        if len(skus) > 1:
            raise SpecError("a saturated line is modelled for one-product lines", field=path)
        wip = num(raw.get("wip"), f"{path}.wip", low=1, allow_zero=True, integer=True)
        if wip > MAX_CARDS:
            raise SpecError(f"must be at most {MAX_CARDS:,}", field=f"{path}.wip")
        label = raw.get("label") or f"saturated (WIP {wip})"
        return PolicySpec("saturated", str(label), {"wip": wip})
    if kind == "push":
        return _push(obj(raw, path, PUSH_KEYS), path, skus)
    raise SpecError(f"must be one of {', '.join(POLICY_KINDS)}", field=f"{path}.kind")


def _kanban(raw: dict[str, Any], path: str, skus: list[str], stations: list[Station]) -> PolicySpec:
    # A loop needs a card to ever make anything: at least 1 per product.
    cards = per_product(raw.get("cards"), skus, f"{path}.cards", low=1)
    if max(cards) > MAX_CARDS:
        raise SpecError(f"at most {MAX_CARDS:,} cards per product", field=f"{path}.cards")
    n_cells = 1 + sum(1 for s in stations[:-1] if s.supermarket_after)
    cell_cards = None
    if n_cells > 1:
        if len(skus) > 1:
            raise SpecError(
                "intermediate supermarkets are modelled for one-product lines", field="stations"
            )
        given = seq(raw.get("cell_cards", [cards[0]] * (n_cells - 1)), f"{path}.cell_cards")
        if len(given) != n_cells - 1:
            raise SpecError(
                f"needs {n_cells - 1} numbers, one per upstream loop", field=f"{path}.cell_cards"
            )
        cell_cards = [
            num(v, f"{path}.cell_cards[{j}]", low=1, allow_zero=True, integer=True)
            for j, v in enumerate(given)
        ]
    elif raw.get("cell_cards") is not None:
        raise SpecError(
            "only for a line with a supermarket after a station", field=f"{path}.cell_cards"
        )
    label = raw.get("label") or f"kanban ({_describe(cards)} cards)"
    return PolicySpec("kanban", str(label), {"cards": cards, "cell_cards": cell_cards})


def _release(raw: Any, path: str, skus: list[str]) -> Release:
    if raw is None:
        return Release()
    raw = obj(raw, path)
    kind = raw.get("kind", "mrp")
    if kind not in RELEASE_KINDS:
        raise SpecError(f"must be one of {', '.join(RELEASE_KINDS)}", field=f"{path}.kind")
    obj(raw, path, RELEASE_KEYS[kind])
    if kind == "mrp":
        return Release()
    quantity = tuple(per_product_amount(raw.get("quantity"), skus, f"{path}.quantity"))
    if kind == "timed":
        return Release(
            kind, every_days=num(raw.get("every_days"), f"{path}.every_days"), quantity=quantity
        )
    return Release(
        kind, rate_per_day=num(raw.get("rate_per_day"), f"{path}.rate_per_day"), quantity=quantity
    )


def _push(raw: dict[str, Any], path: str, skus: list[str]) -> PolicySpec:
    lot = raw.get("lot_sizing", "containers")
    if lot not in LOT_SIZING_POLICIES:
        raise SpecError(
            f"must be one of {', '.join(LOT_SIZING_POLICIES)}", field=f"{path}.lot_sizing"
        )
    level = num(raw.get("service_level", 0.95), f"{path}.service_level")
    if level >= 1:
        raise SpecError("must be below 1", field=f"{path}.service_level")
    fixed = raw.get("fixed_lot_quantity")
    plan = PushPlan(
        service_level=level,
        lot_sizing=lot,
        fixed_lot_quantity=None if fixed is None else num(fixed, f"{path}.fixed_lot_quantity"),
        setup_cost=num(raw.get("setup_cost", 50.0), f"{path}.setup_cost", allow_zero=True),
        holding_cost_per_unit_day=num(
            raw.get("holding_cost_per_unit_day", 0.01),
            f"{path}.holding_cost_per_unit_day",
            allow_zero=True,
        ),
        forecast_window_days=num(
            raw.get("forecast_window_days", 28),
            f"{path}.forecast_window_days",
            low=1,
            allow_zero=True,
            integer=True,
        ),
        advance_demand_days=num(
            raw.get("advance_demand_days", 0),
            f"{path}.advance_demand_days",
            integer=True,
            allow_zero=True,
        ),
    )
    release = _release(raw.get("release"), f"{path}.release", skus)
    opening = raw.get("opening_stock")
    # Containers, as kanban's cards and CONWIP's base stock; none is legal.
    containers = (
        None if opening is None else per_product(opening, skus, f"{path}.opening_stock", low=0)
    )
    label = raw.get("label") or _push_label(plan, release)
    return PolicySpec(
        "push", str(label), {"plan": plan, "release": release, "opening_containers": containers}
    )


def _push_label(plan: PushPlan, release: Release) -> str:
    if release.kind == "timed":
        return f"push (a release every {release.every_days:g} days)"
    if release.kind == "poisson":
        return f"push (Poisson releases, {release.rate_per_day:g} a day)"
    firm = plan.advance_demand_days
    return "push (MRP" + (f", {firm} days of firm orders" if firm else "") + ")"


def _describe(values: list[int]) -> str:
    return str(values[0]) if len(set(values)) == 1 else f"{min(values)}-{max(values)}"
