"""Reads for the planners' dashboards: a line's live KPIs and series.

Every figure is defined in docs/dashboards.md. The window is the `days` full calendar days
(`TIME_ZONE`) before today: rates, means and samples are taken over it; series have one
point per calendar day (its value at the day's end) and run on to today, now. Daily sums
of the ledger and the demand come from the per-day sums (`flows.py`); work orders are
summed in the database from their (line, timestamp) indexes (`orders.py`).
Each part is its own function, so a CSV export computes only its table; the query count
does not grow with the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, DecimalField, F, Min, OuterRef, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from production.comparisons.selectors import comparison_chart, latest_line_comparison
from production.dashboards import figures, orders
from production.dashboards.flows import (
    demand_by_day,
    line_products,
    midnight,
    supermarket_moves_by_day,
)
from production.models import (
    DemandEvent,
    Product,
    ProductionLine,
    StockLevel,
    WorkOrder,
    WorkOrderStatus,
)
from production.policies import policy_for
from production.selectors import count_of
from production.supply.models import CallOff, TransferOrder
from production.supply.transitions import OPEN_CALL_OFF, OPEN_TRANSFER

DAY = 86400.0
OPEN = (WorkOrderStatus.RELEASED, WorkOrderStatus.IN_PROGRESS)
ZERO = Value(0, output_field=DecimalField(max_digits=18, decimal_places=3))


@dataclass(frozen=True)
class Window:
    """The `days` full calendar days before today ([start, end)), for the rates and
    samples; the series run on to today so far."""

    first: date
    today: date
    start: datetime
    end: datetime
    now: datetime
    days: int

    @property
    def calendar(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days + 1)]

    @property
    def length_days(self) -> float:
        return (self.end - self.start).total_seconds() / DAY


def window(days: int, now: datetime | None = None) -> Window:
    now = now or timezone.now()
    today = timezone.localdate(now)
    first = today - timedelta(days=days)
    return Window(first, today, midnight(first), midnight(today), now, days)


def _running(days: list[date], daily: dict[date, float], before: float = 0.0) -> list[float]:
    out, total = [], before
    for day in days:
        total += daily.get(day, 0.0)
        out.append(round(total, 3))
    return out


def lines_overview() -> list[ProductionLine]:
    """Each line with its products, open orders and late replenishment orders (call-offs
    and transfers of its products marked late), each counted in a subquery of its own."""
    # The line's products as a subquery of the count's (no join of products per order).
    of_this_line = Product.objects.filter(line=OuterRef(OuterRef("pk"))).values("pk")
    return list(
        ProductionLine.objects.annotate(
            products_count=count_of(Product.objects.filter(line=OuterRef("pk"))),
            open_orders=count_of(WorkOrder.objects.filter(line=OuterRef("pk"), status__in=OPEN)),
            late_call_offs=count_of(late_call_offs().filter(product_id__in=of_this_line)),
            late_transfers=count_of(late_transfers().filter(product_id__in=of_this_line)),
        ).order_by("code")
    )


def late_call_offs() -> QuerySet[CallOff]:
    return CallOff.objects.filter(status__in=OPEN_CALL_OFF, late_at__isnull=False)


def late_transfers() -> QuerySet[TransferOrder]:
    return TransferOrder.objects.filter(status__in=OPEN_TRANSFER, late_at__isnull=False)


def late_purchased() -> int:
    """Late orders of purchased products (no line): on no line's row."""
    return (
        late_call_offs().filter(product__line__isnull=True).count()
        + late_transfers().filter(product__line__isnull=True).count()
    )


def line_flow(*, line: ProductionLine, win: Window) -> dict[str, Any]:
    """Daily flow of the line from the window's start to now: demand, signals, releases,
    completions, and the WIP and supermarket stock at each day's end (now for today),
    walked back from today's levels; with the window's time-averaged WIP."""
    start, end, calendar = win.start, win.end, win.calendar
    # An order cancelled after its release (dropped) leaves WIP without being completed.
    work = orders.order_flow(line=line, start=start, end=end)
    released, done, dropped, signalled = work.released, work.done, work.dropped, work.signalled
    open_work = orders.open_work(line=line, start=start, end=end)
    wip_seconds = done.wip_unit_seconds + open_work["wip_unit_seconds"]
    demand = demand_by_day(line=line, first=win.first)
    moves = supermarket_moves_by_day(line=line, first=win.first)
    on_hand = float(
        StockLevel.objects.filter(
            product__line=line, location_id=F("product__supermarket_id")
        ).aggregate(t=Coalesce(Sum("on_hand"), ZERO))["t"]
    )
    from_wip = done.completed_from_wip
    net_in = {
        d: released.get(d, 0.0) - from_wip.get(d, 0.0) - dropped.get(d, 0.0)
        for d in set(released) | set(from_wip) | set(dropped)
    }
    days = set(calendar)
    return {
        "calendar": calendar,
        "released": released,
        "done": done,
        "signalled": signalled,
        "demand": {d: v for d, v in demand.items() if d in days},
        "wip_now": open_work["wip_now"],
        "open": open_work,
        "on_hand": on_hand,
        "wip_time_mean": wip_seconds / (win.length_days * DAY),
        "wip": _running(calendar, net_in, open_work["wip_now"] - sum(net_in.values())),
        "inventory": _running(calendar, moves, on_hand - sum(moves.values())),
    }


def flow_chart(flow: dict[str, Any]) -> dict[str, Any]:
    calendar, demand = flow["calendar"], flow["demand"]
    days = [d.isoformat() for d in calendar]
    demanded = {d: v.demanded for d, v in demand.items()}
    backordered = [round(demand[d].backordered if d in demand else 0.0, 3) for d in calendar]
    return {
        "cfd": {
            "days": days,
            "demanded": _running(calendar, demanded),
            "signalled": _running(calendar, flow["signalled"]),
            "released": _running(calendar, flow["released"]),
            "completed": _running(calendar, flow["done"].completed),
        },
        "levels": {
            "days": days,
            "wip": flow["wip"],
            "inventory": flow["inventory"],
            "backordered": backordered,
        },
    }


def line_kpis(*, line: ProductionLine, win: Window, flow: dict[str, Any]) -> dict[str, Any]:
    """The key figures (docs/dashboards.md); None where the window holds too little data
    to say (the `n_*` figures say how much there was)."""
    done: orders.Done = flow["done"]
    open_backorders = DemandEvent.objects.filter(
        product__line=line, open_backorder_quantity__gt=0
    ).aggregate(t=Coalesce(Sum("open_backorder_quantity"), ZERO))["t"]
    demand = [d for day, d in flow["demand"].items() if day < win.today]
    demanded = sum(d.demanded for d in demand)
    processed = sum(d.processed for d in demand)
    backordered = sum(d.backordered for d in demand)
    length, oldest = win.length_days, flow["open"]["oldest_signal"]
    fill_rate = 1 - backordered / processed if processed else None
    p90 = orders.lead_time_p90(line=line, start=win.start, end=win.end, done=done)
    return {
        "window_days": round(length, 3),
        "throughput_per_day": done.units / length if done.orders else None,
        "units_completed": done.units,
        "n_orders_completed": done.orders,
        "wip_now": flow["wip_now"],
        "wip_mean": flow["wip_time_mean"],
        "inventory_now": flow["on_hand"],
        "inventory_mean": figures.mean(flow["inventory"][:-1]),
        "lead_time_mean_days": done.mean(done.lead_sum, done.lead_n),
        "lead_time_p90_days": p90,
        "n_lead_times": done.lead_n,
        "cycle_time_mean_days": done.mean(done.cycle_sum, done.cycle_n),
        "process_time_mean_days": done.mean(done.process_sum, done.process_n),
        "job_size_mean": done.mean(done.units, done.orders),
        "fill_rate": fill_rate,
        "fill_rate_percent": None if fill_rate is None else 100 * fill_rate,
        "units_demanded": demanded,
        "demand_per_day": demanded / length,
        "units_processed": processed,
        "n_demand_processed": sum(d.processed_events for d in demand),
        "units_backordered": backordered,
        "backorders_open": float(open_backorders),
        "signals_waiting": flow["open"]["signals"],
        "oldest_signal_age_days": (win.now - oldest).total_seconds() / DAY if oldest else None,
    }


def lead_time_histogram(*, line: ProductionLine, win: Window, done: orders.Done) -> Any:
    return orders.lead_time_histogram(line=line, start=win.start, end=win.end, done=done)


def littles_law_panel(*, line: ProductionLine, kpis: dict[str, Any]) -> dict[str, Any]:
    """Measured throughput and WIP against Factory Physics' curves, drawn from the line's
    capacity and job size (`figures.little_parameters`), never from a degenerate
    measurement; the measured point only when enough orders were completed."""
    rb = float(line.capacity_per_day)
    params = figures.little_parameters(
        rb=rb,
        container_mean=line_products(line)[1],
        job_size=kpis["job_size_mean"],
        process_time=kpis["process_time_mean_days"],
    )
    wip = kpis["wip_mean"] or 0.0
    top = max(3 * params["w0"], 1.5 * wip, 2 * params["q"])
    measured = None
    if kpis["n_orders_completed"] >= figures.MIN_SAMPLES:
        measured = {
            "wip": round(wip, 3),
            "th": round(kpis["throughput_per_day"], 4),
            "ct": round(kpis["cycle_time_mean_days"] or 0.0, 4),
        }
    curves = figures.factory_physics(rb=rb, t0=params["t0"], q=params["q"], top=top)
    return {**params, **curves, "measured": measured}


def line_dashboard(
    *, line: ProductionLine, days: int = 28, now: datetime | None = None
) -> dict[str, Any]:
    """KPIs and chart series of one line over the window, live from the ledger, work
    orders and demand events."""
    win = window(days, now)
    flow = line_flow(line=line, win=win)
    kpis = line_kpis(line=line, win=win, flow=flow)
    return {
        "line": line,
        "days": days,
        "start": win.start,
        "kpis": kpis,
        "min_samples": figures.MIN_SAMPLES,
        "card_ageing": card_ageing(line=line, now=win.now),
        "cards": cards_by_status(line=line, now=win.now),
        "charts": {
            **flow_chart(flow),
            "lead_time_hist": lead_time_histogram(line=line, win=win, done=flow["done"]),
            "little": littles_law_panel(line=line, kpis=kpis),
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
