"""Reads for the planners' dashboards: a line's live KPIs and series.

Aggregation happens in the database (sums per day, filtered sums); Python only turns
daily sums into running levels. A line's dashboard costs a fixed dozen queries,
whatever the history holds.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, DecimalField, F, Min, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from production.comparisons.selectors import comparison_chart, latest_line_comparison
from production.models import (
    DemandEvent,
    Product,
    ProductionLine,
    StockLevel,
    StockMove,
    WorkOrder,
    WorkOrderOrigin,
    WorkOrderStatus,
)
from production.policies import policy_for
from production.selectors import count_of

DAY = 86400.0
OPEN = (WorkOrderStatus.RELEASED, WorkOrderStatus.IN_PROGRESS)
SAMPLE_LIMIT = 5000
HIST_BINS = 12
ZERO = Value(0, output_field=DecimalField(max_digits=14, decimal_places=3))


def _daily(qs: QuerySet[Any], stamp: str, amount: str) -> dict[date, float]:
    rows = (
        qs.annotate(day=TruncDate(stamp))
        .values("day")
        .annotate(total=Sum(amount))
        .values_list("day", "total")
    )
    return {day: float(total or 0) for day, total in rows}


def _daily_demand(qs: QuerySet[Any]) -> tuple[dict[date, float], dict[date, float]]:
    """Units demanded and backordered per day, in one pass over the window's events."""
    rows = (
        qs.annotate(day=TruncDate("occurred_at"))
        .values("day")
        .annotate(demanded=Sum("quantity"), backordered=Sum("backordered_quantity"))
        .values_list("day", "demanded", "backordered")
    )
    demanded, backordered = {}, {}
    for day, units, short in rows:
        demanded[day], backordered[day] = float(units or 0), float(short or 0)
    return demanded, backordered


def _running(days: list[date], daily: dict[date, float], before: float = 0.0) -> list[float]:
    out, total = [], before
    for day in days:
        total += daily.get(day, 0.0)
        out.append(round(total, 3))
    return out


def _histogram(values: list[float], bins: int = HIST_BINS) -> dict[str, list[float]]:
    if not values:
        return {"edges": [], "counts": []}
    top = max(values)
    width = top / bins if top > 0 else 1.0
    counts = [0] * bins
    for v in values:
        counts[min(max(int(v / width), 0), bins - 1)] += 1
    return {
        "edges": [round(i * width, 4) for i in range(bins + 1)],
        "counts": [float(c) for c in counts],
    }


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def lines_overview() -> list[ProductionLine]:
    """Each line with its products and open orders, each counted in a subquery of its own."""
    return list(
        ProductionLine.objects.annotate(
            products_count=count_of(Product.objects.filter(line=OuterRef("pk"))),
            open_orders=count_of(WorkOrder.objects.filter(line=OuterRef("pk"), status__in=OPEN)),
        ).order_by("code")
    )


def line_dashboard(
    *, line: ProductionLine, days: int = 28, now: datetime | None = None
) -> dict[str, Any]:
    """KPIs and chart series of one line over the last `days`, live from the ledger,
    work orders and demand events."""
    now = now or timezone.now()
    start = now - timedelta(days=days)
    calendar = [(start + timedelta(days=i)).date() for i in range(days + 1)]
    orders = WorkOrder.objects.filter(line=line)
    demand = DemandEvent.objects.filter(product__line=line)

    # Open work only, from the (line, status) index; windows in WHERE, never in FILTER.
    totals = orders.filter(status__in=(WorkOrderStatus.PLANNED, *OPEN)).aggregate(
        wip_now=Coalesce(Sum("quantity", filter=Q(status__in=OPEN)), ZERO),
        waiting=Count(
            "id", filter=Q(status=WorkOrderStatus.PLANNED, origin=WorkOrderOrigin.KANBAN)
        ),
        oldest_waiting=Min(
            "created_at", filter=Q(status=WorkOrderStatus.PLANNED, origin=WorkOrderOrigin.KANBAN)
        ),
    )
    open_backorders = float(
        demand.filter(open_backorder_quantity__gt=0).aggregate(
            total=Coalesce(Sum("open_backorder_quantity"), ZERO)
        )["total"]
    )
    on_hand = float(
        StockLevel.objects.filter(
            product__line=line, location_id=F("product__supermarket_id")
        ).aggregate(total=Coalesce(Sum("on_hand"), ZERO))["total"]
    )
    done_rows = list(
        orders.filter(status=WorkOrderStatus.DONE, completed_at__gte=start)
        .order_by("-completed_at")
        .values_list("created_at", "released_at", "started_at", "completed_at", "quantity")[
            :SAMPLE_LIMIT
        ]
    )
    lead = [(c - a).total_seconds() / DAY for a, _, _, c, _ in done_rows if c]
    cycle = [(c - r).total_seconds() / DAY for _, r, _, c, _ in done_rows if r and c]
    process = [(c - s).total_seconds() / DAY for _, _, s, c, _ in done_rows if s and c]
    job_size = sum(float(q) for *_, q in done_rows) / len(done_rows) if done_rows else 0.0

    released = _daily(orders.filter(released_at__gte=start), "released_at", "quantity")
    completed = _daily(
        orders.filter(completed_at__gte=start, status=WorkOrderStatus.DONE),
        "completed_at",
        "quantity",
    )
    signalled = _daily(orders.filter(created_at__gte=start), "created_at", "quantity")
    demanded, backordered = _daily_demand(demand.filter(occurred_at__gte=start))
    moves = _daily(
        StockMove.objects.filter(
            product__line=line, location_id=F("product__supermarket_id"), created_at__gte=start
        ),
        "created_at",
        "quantity",
    )

    wip_now = float(totals["wip_now"])
    net_in = {d: released.get(d, 0.0) - completed.get(d, 0.0) for d in calendar}
    wip_start = wip_now - sum(net_in.values())
    stock_start = on_hand - sum(moves.values())
    wip_series = _running(calendar, net_in, wip_start)
    stock_series = _running(calendar, moves, stock_start)
    made = sum(completed.values())
    throughput = made / days
    wip_mean = sum(wip_series) / len(wip_series) if wip_series else 0.0
    cycle_mean = sum(cycle) / len(cycle) if cycle else 0.0
    demanded_total = sum(demanded.values())
    oldest = totals["oldest_waiting"]
    kpis = {
        "throughput_per_day": throughput,
        "wip_now": wip_now,
        "wip_mean": wip_mean,
        "inventory_now": on_hand,
        "inventory_mean": sum(stock_series) / len(stock_series) if stock_series else on_hand,
        "lead_time_mean_days": sum(lead) / len(lead) if lead else 0.0,
        "lead_time_p90_days": _quantile(lead, 0.9),
        "cycle_time_mean_days": cycle_mean,
        "fill_rate": 1 - sum(backordered.values()) / demanded_total if demanded_total else 1.0,
        "backorders_open": open_backorders,
        "units_demanded": demanded_total,
        "signals_waiting": totals["waiting"],
        "oldest_signal_age_days": (now - oldest).total_seconds() / DAY if oldest else 0.0,
    }
    return {
        "line": line,
        "days": days,
        "start": start,
        "kpis": kpis,
        "card_ageing": card_ageing(line=line, now=now),
        "cards": cards_by_status(line=line, now=now),
        "charts": {
            "cfd": {
                "days": [d.isoformat() for d in calendar],
                "demanded": _running(calendar, demanded),
                "signalled": _running(calendar, signalled),
                "released": _running(calendar, released),
                "completed": _running(calendar, completed),
            },
            "levels": {
                "days": [d.isoformat() for d in calendar],
                "wip": wip_series,
                "inventory": stock_series,
                "backordered": [round(backordered.get(d, 0.0), 3) for d in calendar],
            },
            "lead_time_hist": _histogram(lead),
            "little": littles_law_panel(
                line=line,
                throughput=throughput,
                wip=wip_mean,
                cycle_time=cycle_mean,
                process_time=sum(process) / len(process) if process else 0.0,
                job_size=job_size,
            ),
            "comparison": comparison_chart(latest_line_comparison(line=line)),
        },
    }


def card_ageing(*, line: ProductionLine, now: datetime) -> list[dict[str, Any]]:
    """Open work (kanban signals and orders) by status: how many, and how old."""
    rows = (
        WorkOrder.objects.filter(line=line, status__in=(WorkOrderStatus.PLANNED, *OPEN))
        .values("status")
        .annotate(count=Count("id"), oldest=Min("created_at"), quantity=Sum("quantity"))
        .order_by("status")
    )
    return [
        {
            "status": r["status"],
            "count": r["count"],
            "quantity": float(r["quantity"] or 0),
            "oldest_days": round((now - r["oldest"]).total_seconds() / DAY, 2)
            if r["oldest"]
            else 0.0,
        }
        for r in rows
    ]


def cards_by_status(*, line: ProductionLine, now: datetime) -> list[dict[str, Any]]:
    """The line's kanban cards by status, with the age of the oldest in each. Asked of the
    pull policy, which `kanban` registers: `production` imports nothing of `kanban`."""
    try:
        return policy_for("pull").cards_by_status(line_id=line.pk, now=now)
    except LookupError:
        return []


def littles_law_panel(
    *,
    line: ProductionLine,
    throughput: float,
    wip: float,
    cycle_time: float,
    process_time: float,
    job_size: float,
) -> dict[str, Any]:
    """Measured throughput and cycle time against Factory Physics' curves.

    With bottleneck rate rb (the line's capacity, units/day), raw process time T0 (mean
    start-to-finish of a work order, days) and W0 = rb T0, for WIP w in units and jobs
    of q units (Hopp & Spearman, sec. 7.3, in units):

        best case             TH = min(w / T0, rb)         CT = max(T0, w / rb)
        practical worst case  TH = w rb / (W0 + w - q)     CT = T0 + (w - q) / rb
    """
    rb = float(line.capacity_per_day)
    q = job_size or 1.0
    t0 = process_time or q / rb
    w0 = rb * t0
    top = max(3 * w0, 1.5 * wip, 2 * q)
    points = [q + (top - q) * i / 40 for i in range(41)]
    return {
        "rb": rb,
        "t0": t0,
        "w0": w0,
        "wip": [round(w, 3) for w in points],
        "best_th": [round(min(w / t0, rb), 4) for w in points],
        "pwc_th": [round(w * rb / (w0 + w - q), 4) for w in points],
        "best_ct": [round(max(t0, w / rb), 4) for w in points],
        "pwc_ct": [round(t0 + (w - q) / rb, 4) for w in points],
        "measured": {"wip": round(wip, 3), "th": round(throughput, 4), "ct": round(cycle_time, 4)},
    }
