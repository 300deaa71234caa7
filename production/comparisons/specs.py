"""Twin specs of live lines: products, demand replayed exactly, history, process model,
and the bought-in components with their supplier or warehouse stage (`bought_in`).

Built for a set of lines at once (the nightly shadow run builds one per busy line), with a
query count that does not grow with the number of lines: one read each of the lines'
products, the period's demand events, the weeks before it, the finished work orders that
give each line's spread, and the live card counts.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import F, FloatField, Sum, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, RowNumber, TruncDate

from production.comparisons.bought_in import bought_in_components
from production.errors import DomainError
from production.models import DemandEvent, Product, ProductionLine, WorkOrder, WorkOrderStatus
from production.policies import policy_for

HISTORY_DAYS = 28
SAFETY_FACTOR = 0.2  # the sizing rule's `a` when a product has no loop to read
DEFAULT_REPLICATIONS = 5
MIN_SAMPLES_FOR_MEASURED_CV = 5
PROCESS_SAMPLE = 500  # finished work orders per line that give its spread
SECONDS_PER_DAY = 86400.0


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / SECONDS_PER_DAY


def live_card_counts(lines: Sequence[ProductionLine]) -> dict[int, int]:
    """Active cards per product of the lines' loops, asked of the pull policy that
    `kanban` registers (`production` imports nothing of `kanban`)."""
    try:
        return policy_for("pull").active_cards_per_product(line_ids=[line.pk for line in lines])
    except LookupError:
        return {}


_LATEST_DONE_SQL = """
SELECT l.id, w.started_at, w.completed_at, w.quantity
FROM unnest(%s::bigint[]) AS l(id)
CROSS JOIN LATERAL (
    SELECT started_at, completed_at, quantity FROM production_workorder
    WHERE line_id = l.id AND status = %s
      AND started_at IS NOT NULL AND completed_at IS NOT NULL
    ORDER BY completed_at DESC LIMIT %s
) AS w
"""


def _latest_done_orders(line_ids: list[int]) -> dict[int, list[tuple[Any, Any, Any]]]:
    """The last `PROCESS_SAMPLE` finished work orders of each line, in one query."""
    found: dict[int, list[tuple[Any, Any, Any]]] = defaultdict(list)
    if connection.vendor == "postgresql":
        # One index range per line ((line_id, completed_at)), not a window over every order.
        with connection.cursor() as cursor:
            cursor.execute(_LATEST_DONE_SQL, [line_ids, WorkOrderStatus.DONE, PROCESS_SAMPLE])
            for line_id, started, completed, quantity in cursor.fetchall():
                found[line_id].append((started, completed, quantity))
        return found
    ranked = (
        WorkOrder.objects.filter(
            line_id__in=line_ids,
            status=WorkOrderStatus.DONE,
            started_at__isnull=False,
            completed_at__isnull=False,
        )
        .annotate(
            rank=Window(RowNumber(), partition_by=F("line_id"), order_by=F("completed_at").desc())
        )
        .filter(rank__lte=PROCESS_SAMPLE)
        .values_list("line_id", "started_at", "completed_at", "quantity")
    )
    for line_id, started, completed, quantity in ranked:
        found[line_id].append((started, completed, quantity))
    return found


def _process_model(line: ProductionLine, rows: list[tuple[Any, Any, Any]]) -> dict[str, Any]:
    """One station at the line's rated capacity; its CV from finished work orders."""
    per_unit = [
        _days(done - start) / float(q)
        for start, done, q in rows
        if start is not None and done is not None and done > start and q > 0
    ]
    mean_days = 1.0 / float(line.capacity_per_day)
    if len(per_unit) >= MIN_SAMPLES_FOR_MEASURED_CV:
        m = sum(per_unit) / len(per_unit)
        cv = (
            math.sqrt(sum((x - m) ** 2 for x in per_unit) / (len(per_unit) - 1)) / m
            if m > 0
            else 0.0
        )
        unit_time: dict[str, Any] = (
            {"dist": "lognormal", "mean_days": mean_days, "cv": round(cv, 4)}
            if cv > 0.01
            else {"dist": "deterministic", "mean_days": mean_days}
        )
    else:
        unit_time = {"dist": "exponential", "mean_days": mean_days}
    return {"name": line.name, "machines": 1, "unit_time": unit_time}


def _demand_by_product(
    ids: list[int], start: datetime, end: datetime
) -> tuple[dict[int, list[list[float]]], dict[int, list[float]]]:
    """Demand events of the period (day offsets) and daily totals of the weeks before."""
    events: dict[int, list[list[float]]] = {pk: [] for pk in ids}
    period = DemandEvent.objects.filter(
        product_id__in=ids, occurred_at__gte=start, occurred_at__lt=end
    ).order_by("occurred_at")
    if connection.vendor == "postgresql":
        # A busy line has hundreds of thousands of events a month: most of the time went
        # into parsing their timestamps, so PostgreSQL hands over the day offsets as floats.
        offsets = period.annotate(
            offset=RawSQL('EXTRACT(EPOCH FROM ("occurred_at" - %s))::float8 / 86400', [start]),
            units=Cast("quantity", FloatField()),
        )
        for product_id, offset, units in offsets.values_list("product_id", "offset", "units"):
            events[product_id].append([offset, units])
    else:
        for product_id, at, qty in period.values_list("product_id", "occurred_at", "quantity"):
            events[product_id].append([_days(at - start), float(qty)])
    before = start - timedelta(days=HISTORY_DAYS)
    history: dict[int, list[float]] = {pk: [0.0] * HISTORY_DAYS for pk in ids}
    for row in (
        DemandEvent.objects.filter(
            product_id__in=ids, occurred_at__gte=before, occurred_at__lt=start
        )
        .order_by()
        .annotate(day=TruncDate("occurred_at"))
        .values("product_id", "day")
        .annotate(total=Sum("quantity"))
    ):
        index = (row["day"] - before.date()).days
        if 0 <= index < HISTORY_DAYS:
            history[row["product_id"]][index] = float(row["total"])
    return events, history


def _default_policies(
    products: list[Product], live: dict[int, int], events: dict[int, list[list[float]]], days: int
) -> list[dict[str, Any]]:
    """Kanban with the live card counts (or the sizing rule), and push with the line's
    planning parameters: the two policies a planner can switch between."""
    cards = {}
    for p in products:
        if p.pk in live:
            cards[p.sku] = live[p.pk]
        else:
            daily = sum(q for _, q in events[p.pk]) / max(days, 1)
            cards[p.sku] = max(
                1,
                math.ceil(
                    daily
                    * float(p.lead_time_days)
                    * (1 + SAFETY_FACTOR)
                    / float(p.container_quantity)
                ),
            )
    first = products[0]
    push = {
        "kind": "push",
        "service_level": float(first.service_level),
        "lot_sizing": first.lot_sizing,
        "setup_cost": float(first.setup_cost),
        "holding_cost_per_unit_day": float(first.holding_cost_per_unit_day),
    }
    if first.fixed_lot_quantity:
        push["fixed_lot_quantity"] = float(first.fixed_lot_quantity)
    return [{"kind": "kanban", "cards": cards}, push]


def _demand_spec(events: list[list[float]], days: int) -> dict[str, Any]:
    if events:
        return {"kind": "history", "events": events}
    return {"kind": "history", "daily": [0.0] * days}


@dataclass(frozen=True)
class SpecOptions:
    seed: int = 0
    replications: int = DEFAULT_REPLICATIONS
    policies: list[dict[str, Any]] | None = None
    stations: list[dict[str, Any]] | None = None


def line_specs(
    *, lines: Sequence[ProductionLine], start: datetime, end: datetime, options: SpecOptions
) -> dict[int, dict[str, Any]]:
    """The twin spec of each line (by id) over one period of its demand history.

    A line that makes no products has no spec.
    """
    if end <= start:
        raise DomainError("The period must end after it starts.", field="end")
    by_line: dict[int | None, list[Product]] = defaultdict(list)
    for product in Product.objects.filter(line__in=lines).order_by("sku"):
        if product.line_id is not None:
            by_line[product.line_id].append(product)
    lines = [line for line in lines if by_line[line.pk]]
    if not lines:
        return {}
    days = max(1, math.ceil(_days(end - start)))
    ids = [p.pk for line in lines for p in by_line[line.pk]]
    events, history = _demand_by_product(ids, start, end)
    done = {} if options.stations else _latest_done_orders([line.pk for line in lines])
    live = {} if options.policies else live_card_counts(lines)
    components = bought_in_components(
        {line.pk: by_line[line.pk] for line in lines}, start=start, end=end, days=days
    )
    specs = {}
    for line in lines:
        products = by_line[line.pk]
        bought = components.get(line.pk, [])
        policies = options.policies or _default_policies(products, live, events, days)
        if not options.policies:
            policies[0]["cards"].update({b.product["sku"]: b.cards for b in bought})
        specs[line.pk] = {
            "horizon_days": days,
            "seed": options.seed,
            "replications": options.replications,
            "stations": options.stations or [_process_model(line, done.get(line.pk, []))],
            "products": [
                {
                    "sku": p.sku,
                    "container_quantity": float(p.container_quantity),
                    "lead_time_days": float(p.lead_time_days),
                    "demand": _demand_spec(events[p.pk], days),
                    "history_before": history[p.pk],
                }
                for p in products
            ]
            + [b.product for b in bought],
            "policies": policies,
            "source": {"line": line.code, "start": start.isoformat(), "end": end.isoformat()},
        }
    return specs


def line_spec(
    *,
    line: ProductionLine,
    start: datetime,
    end: datetime,
    policies: list[dict[str, Any]] | None = None,
    stations: list[dict[str, Any]] | None = None,
    seed: int = 0,
    replications: int = DEFAULT_REPLICATIONS,
) -> dict[str, Any]:
    """The twin spec of a live line over a period of its demand history."""
    options = SpecOptions(
        seed=seed, replications=replications, policies=policies, stations=stations
    )
    specs = line_specs(lines=[line], start=start, end=end, options=options)
    if line.pk not in specs:
        raise DomainError(f"Line {line.code} makes no products.", field="line")
    return specs[line.pk]
