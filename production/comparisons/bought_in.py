"""A live line's bought-in components and warehouse stage, as twin products.

A component of the line's products that a supplier or transfer loop replenishes (one the
line does not make) joins the line's comparison as a product with a `source`: the
supplier's lead time, or the transfer's with the warehouse loop it draws on (its cards
and its own supplier's lead time). Its demand is replayed exactly: what was consumed at
the loop's location in the period (the ledger's consumption moves), the weeks before as
its history. Its cards are the loop's live cards. Every read covers all the lines at
once (a constant number of queries).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Sum
from django.db.models.functions import TruncDate

from production.models import BomLine, MoveKind, Product, StockMove
from production.policies import SupplyLoop, policy_for

HISTORY_DAYS = 28
SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class BoughtInSpec:
    """One component of a line, ready for its spec: the twin product and its cards."""

    product: dict[str, Any]
    cards: int


def _deterministic(days: float) -> dict[str, Any]:
    return {"dist": "deterministic", "mean_days": days}


def _source(loop: SupplyLoop, loops: list[SupplyLoop]) -> dict[str, Any]:
    """The twin source of the loop that faces the line, with its warehouse stage."""
    lead = _deterministic(float(loop.lead_time_days))
    if loop.source == "supplier":
        return {"kind": "supplier", "lead_time": lead}
    source: dict[str, Any] = {"kind": "transfer", "lead_time": lead}
    upstream = [other for other in loops if other.location_id == loop.source_location_id]
    if upstream:
        warehouse = upstream[0]
        source["warehouse"] = {
            "cards": warehouse.cards,
            "lead_time": _deterministic(float(warehouse.lead_time_days)),
        }
    return source


def _facing_line(loops: list[SupplyLoop]) -> SupplyLoop:
    """The loop the line draws on: a transfer loop (line side) before a supplier loop."""
    transfers = [loop for loop in loops if loop.source == "transfer"]
    return (transfers or loops)[0]


def _consumption(
    places: dict[int, int], start: datetime, end: datetime
) -> tuple[dict[int, list[list[float]]], dict[int, list[float]]]:
    """Each component's consumption at its loop's location: the period's moves (day
    offsets, units) and daily totals of the weeks before."""
    events: dict[int, list[list[float]]] = {pk: [] for pk in places}
    history: dict[int, list[float]] = {pk: [0.0] * HISTORY_DAYS for pk in places}
    if not places:
        return events, history
    moves = StockMove.objects.filter(
        product_id__in=list(places), kind=MoveKind.CONSUMPTION, quantity__lt=0
    )
    period = moves.filter(created_at__gte=start, created_at__lt=end).order_by("created_at", "pk")
    for product_id, location_id, at, quantity in period.values_list(
        "product_id", "location_id", "created_at", "quantity"
    ):
        if places[product_id] == location_id:
            offset = (at - start).total_seconds() / SECONDS_PER_DAY
            events[product_id].append([offset, -float(quantity)])
    before = start - timedelta(days=HISTORY_DAYS)
    for row in (
        moves.filter(created_at__gte=before, created_at__lt=start)
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values("product_id", "location_id", "day")
        .annotate(total=Sum("quantity"))
    ):
        index = (row["day"] - before.date()).days
        if places[row["product_id"]] == row["location_id"] and 0 <= index < HISTORY_DAYS:
            history[row["product_id"]][index] = -float(row["total"])
    return events, history


def bought_in_components(
    made: dict[int, Sequence[Product]], *, start: datetime, end: datetime, days: int
) -> dict[int, list[BoughtInSpec]]:
    """For each line (by id), its products' components replenished by a supplier or a
    transfer, as twin products (by SKU), with their live cards."""
    parents = {p.pk: line_id for line_id, products in made.items() for p in products}
    bom = list(
        BomLine.objects.filter(parent_id__in=list(parents)).values_list("parent_id", "component_id")
    )
    if not bom:
        return {}
    try:
        loops = policy_for("pull").supply_loops(product_ids={c for _, c in bom})
    except LookupError:
        return {}
    by_product: dict[int, list[SupplyLoop]] = defaultdict(list)
    for loop in loops:
        by_product[loop.product_id].append(loop)
    components = {
        p.pk: p
        for p in Product.objects.filter(pk__in=list(by_product), line__isnull=True).order_by("sku")
    }
    facing = {pk: _facing_line(by_product[pk]) for pk in components}
    events, history = _consumption(
        {pk: loop.location_id for pk, loop in facing.items()}, start, end
    )
    found: dict[int, list[BoughtInSpec]] = defaultdict(list)
    for parent_id, component_id in sorted(set(bom)):
        line_id, product = parents[parent_id], components.get(component_id)
        if product is None or any(s.product["sku"] == product.sku for s in found[line_id]):
            continue
        loop = facing[component_id]
        demand: dict[str, Any] = (
            {"kind": "history", "events": events[component_id]}
            if events[component_id]
            else {"kind": "history", "daily": [0.0] * days}
        )
        found[line_id].append(
            BoughtInSpec(
                product={
                    "sku": product.sku,
                    "container_quantity": float(loop.container_quantity),
                    "lead_time_days": float(loop.lead_time_days),
                    "demand": demand,
                    "history_before": history[component_id],
                    "source": _source(loop, by_product[component_id]),
                },
                cards=max(1, loop.cards),
            )
        )
    return {
        line_id: sorted(specs, key=lambda s: s.product["sku"]) for line_id, specs in found.items()
    }
