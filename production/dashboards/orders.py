"""A line's work orders over a dashboard window, aggregated in the database.

Every query reads the (line, timestamp) indexes, which carry the columns it needs
(index-only scans on PostgreSQL), and returns per-day sums or one row: nothing here
fetches the orders themselves, so the cost does not grow into Python with the history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    F,
    FloatField,
    Func,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Floor, Greatest, Least, TruncDate
from django.utils import timezone

from production.dashboards import figures, flows
from production.dashboards.models import DailyLineOrders
from production.models import ProductionLine, WorkOrder, WorkOrderOrigin, WorkOrderStatus

DAY = 86400.0
OPEN = (WorkOrderStatus.RELEASED, WorkOrderStatus.IN_PROGRESS)
ZERO = Value(0, output_field=DecimalField(max_digits=18, decimal_places=3))


class Seconds(Func):
    """Seconds from the second timestamp to the first, as a float."""

    output_field = FloatField()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # date_part in double precision: EXTRACT's exact numeric took five times as long
        # over a year of a line's orders.
        return self.as_sql(
            compiler,
            connection,
            template="date_part('epoch', %(expressions)s)",
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


@dataclass
class Done:
    """Orders completed in the window: counts and sums, per day and in all."""

    completed: dict[date, float] = field(default_factory=dict)
    completed_from_wip: dict[date, float] = field(default_factory=dict)
    orders: int = 0
    units: float = 0.0
    lead_n: int = 0
    lead_sum: float = 0.0
    lead_min: float | None = None
    lead_max: float | None = None
    cycle_n: int = 0
    cycle_sum: float = 0.0
    process_n: int = 0
    process_sum: float = 0.0
    wip_unit_seconds: float = 0.0  # of the orders done in the window

    def mean(self, total: float, n: int) -> float | None:
        return total / n if n >= figures.MIN_SAMPLES else None


def _days(line: ProductionLine, stamp: str, start: datetime, **where: Any) -> QuerySet[Any]:
    return (
        WorkOrder.objects.filter(line=line, **{f"{stamp}__gte": start}, **where)
        .annotate(day=TruncDate(stamp))
        .order_by()
        .values("day")
    )


def units_by_day(
    line: ProductionLine, stamp: str, start: datetime, **where: Any
) -> dict[date, float]:
    rows = _days(line, stamp, start, **where).annotate(t=Sum("quantity")).values_list("day", "t")
    return {day: float(total or 0) for day, total in rows}


def _stamp(value: datetime) -> Any:
    return Value(value, output_field=WorkOrder._meta.get_field("completed_at"))


def done_orders(*, line: ProductionLine, start: datetime, end: datetime) -> Done:
    """The orders done since `start`: units per day (all of them count in the series),
    then one row of counts and sums over those done in the window, and the unit-seconds
    they spent in WIP inside it."""
    rows = (
        _days(line, "completed_at", start, status=WorkOrderStatus.DONE)
        .annotate(
            t=Sum("quantity"),
            w=Coalesce(Sum("quantity", filter=Q(released_at__isnull=False)), ZERO),
        )
        .values_list("day", "t", "w")
    )
    done = Done()
    for day, total, from_wip in rows:
        done.completed[day], done.completed_from_wip[day] = float(total), float(from_wip)
    lead = Seconds("completed_at", "created_at")
    overlap = Seconds(Least("completed_at", _stamp(end)), Greatest("released_at", _stamp(start)))
    # The window in WHERE: the orders done today count in WIP through `open_work`.
    totals = WorkOrder.objects.filter(
        line=line, status=WorkOrderStatus.DONE, completed_at__gte=start, completed_at__lt=end
    ).aggregate(
        n=Count("completed_at"),
        units=Sum("quantity"),
        lead_sum=Sum(lead),
        lead_min=Min(lead),
        lead_max=Max(lead),
        cycle_n=Count("released_at"),
        cycle_sum=Sum(Seconds("completed_at", "released_at")),
        process_n=Count("started_at"),
        process_sum=Sum(Seconds("completed_at", "started_at")),
        wip=Sum(
            F("quantity") * overlap,
            filter=Q(released_at__isnull=False, released_at__lt=end),
            output_field=FloatField(),
        ),
    )
    done.orders = done.lead_n = totals["n"]
    done.units = float(totals["units"] or 0)
    done.lead_sum = (totals["lead_sum"] or 0) / DAY
    if totals["lead_min"] is not None:
        done.lead_min, done.lead_max = totals["lead_min"] / DAY, totals["lead_max"] / DAY
    done.cycle_n, done.cycle_sum = totals["cycle_n"], (totals["cycle_sum"] or 0) / DAY
    done.process_n, done.process_sum = totals["process_n"], (totals["process_sum"] or 0) / DAY
    done.wip_unit_seconds = float(totals["wip"] or 0)
    return done


@dataclass
class OrderFlow:
    """Units per day signalled, released and cancelled after a release, from `start` on;
    and the orders done (`Done`)."""

    signalled: dict[date, float]
    released: dict[date, float]
    dropped: dict[date, float]
    done: Done


def order_flow(*, line: ProductionLine, start: datetime, end: datetime) -> OrderFlow:
    """The line's work orders from `start` (a midnight) on: from the per-day sums on
    PostgreSQL (one read of at most a row per product and day), from the orders elsewhere."""
    if flows.use_summary():
        return _order_flow_from_sums(line=line, start=start, end=end)
    return OrderFlow(
        signalled=units_by_day(line, "created_at", start),
        released=units_by_day(line, "released_at", start),
        dropped=units_by_day(
            line, "cancelled_at", start, status=WorkOrderStatus.CANCELLED, released_at__isnull=False
        ),
        done=done_orders(line=line, start=start, end=end),
    )


SUMMED = (
    "signalled",
    "released",
    "dropped",
    "completed",
    "completed_from_wip",
    "done_orders",
    "lead_seconds",
    "cycle_orders",
    "cycle_seconds",
    "process_orders",
    "process_seconds",
    "wip_unit_seconds",
)


def _order_flow_from_sums(*, line: ProductionLine, start: datetime, end: datetime) -> OrderFlow:
    first, last = timezone.localdate(start), timezone.localdate(end)
    rows = (
        DailyLineOrders.objects.filter(line=line, day__gte=first)
        .order_by()
        .values("day")
        .annotate(
            **{name: Sum(name) for name in SUMMED},
            lead_min=Min("lead_min_seconds"),
            lead_max=Max("lead_max_seconds"),
        )
    )
    out = OrderFlow(signalled={}, released={}, dropped={}, done=Done())
    done, lead_min, lead_max, wip_full = out.done, [], [], 0.0
    for row in rows:
        day = row["day"]
        for name in ("signalled", "released", "dropped"):
            if row[name]:
                getattr(out, name)[day] = float(row[name])
        if not row["done_orders"]:
            continue
        done.completed[day] = float(row["completed"])
        done.completed_from_wip[day] = float(row["completed_from_wip"])
        if day >= last:  # today: in the series, not in the window's figures
            continue
        done.orders += row["done_orders"]
        done.units += float(row["completed"])
        done.lead_sum += float(row["lead_seconds"]) / DAY
        done.cycle_n += row["cycle_orders"]
        done.cycle_sum += float(row["cycle_seconds"]) / DAY
        done.process_n += row["process_orders"]
        done.process_sum += float(row["process_seconds"]) / DAY
        wip_full += float(row["wip_unit_seconds"])
        lead_min.append(row["lead_min"])
        lead_max.append(row["lead_max"])
    done.lead_n = done.orders
    if done.orders and lead_min:
        done.lead_min, done.lead_max = float(min(lead_min)) / DAY, float(max(lead_max)) / DAY
    # The sums count each order's whole time from release to completion; of the orders
    # released before the window, only the part inside it counts.
    before = WorkOrder.objects.filter(
        line=line,
        status=WorkOrderStatus.DONE,
        completed_at__gte=start,
        completed_at__lt=end,
        released_at__lt=start,
    ).aggregate(
        s=Sum(F("quantity") * Seconds(_stamp(start), "released_at"), output_field=FloatField())
    )
    done.wip_unit_seconds = wip_full - float(before["s"] or 0)
    return out


def open_work(*, line: ProductionLine, start: datetime, end: datetime) -> dict[str, Any]:
    """In one query: the units in WIP now; the unit-seconds in WIP over [start, end) of
    the orders released before `end` that are still open, were cancelled after their
    release, or were done after `end` (today; those done inside the window: `done_orders`);
    and the kanban signals waiting (planned orders), with the oldest's time."""
    left = Least(Coalesce("cancelled_at", _stamp(end)), _stamp(end))
    waiting = Q(status=WorkOrderStatus.PLANNED, origin=WorkOrderOrigin.KANBAN)
    totals = WorkOrder.objects.filter(
        Q(status__in=OPEN)
        | Q(status=WorkOrderStatus.CANCELLED, cancelled_at__gte=start)
        | Q(status=WorkOrderStatus.DONE, completed_at__gte=end)
        | waiting,
        line=line,
    ).aggregate(
        now=Coalesce(Sum("quantity", filter=Q(status__in=OPEN)), ZERO),
        s=Sum(
            F("quantity") * Seconds(left, Greatest("released_at", _stamp(start))),
            filter=Q(released_at__isnull=False, released_at__lt=end) & ~waiting,
            output_field=FloatField(),
        ),
        signals=Count("id", filter=waiting),
        oldest=Min("created_at", filter=waiting),
    )
    return {
        "wip_now": float(totals["now"]),
        "wip_unit_seconds": float(totals["s"] or 0),
        "signals": totals["signals"],
        "oldest_signal": totals["oldest"],
    }


def _window_done(line: ProductionLine, start: datetime, end: datetime) -> QuerySet[Any]:
    return WorkOrder.objects.filter(
        line=line, status=WorkOrderStatus.DONE, completed_at__gte=start, completed_at__lt=end
    ).order_by()


def lead_time_p90(*, line: ProductionLine, start: datetime, end: datetime, done: Done) -> Any:
    """The nearest-rank 90th percentile of the window's lead times (days), read at its
    rank by the database (`figures.quantile` on the same values)."""
    n, q = done.lead_n, 0.9
    if n < figures.MIN_SAMPLES:
        return None
    rank = min(n - 1, max(0, math.ceil(q * n) - 1))
    lead = Seconds("completed_at", "created_at")
    # Counted from the top: the database keeps the longest n - rank in a bounded heap
    # instead of sorting them all.
    from_top = n - 1 - rank
    value = (
        _window_done(line, start, end)
        .annotate(lead=lead)
        .order_by("-lead")
        .values_list("lead", flat=True)[from_top : from_top + 1]
    )
    found = list(value)
    return found[0] / DAY if found else None


def lead_time_histogram(*, line: ProductionLine, start: datetime, end: datetime, done: Done) -> Any:
    """Counts of the window's lead times (days) on `figures.histogram_bins`, in SQL."""
    if done.lead_n < figures.MIN_SAMPLES or done.lead_min is None or done.lead_max is None:
        return {"edges": [], "counts": [], "labels": [], "n": done.lead_n}
    layout = figures.histogram_bins(done.lead_min, done.lead_max)
    days = Seconds("completed_at", "created_at") / Value(DAY)
    position = (days - Value(layout.start)) / Value(layout.width) + Value(1e-9)
    rows = (
        _window_done(line, start, end)
        .annotate(bin=Least(Greatest(Floor(position), Value(0.0)), Value(layout.count - 1.0)))
        .values("bin")
        .annotate(n=Count("*"))
        .values_list("bin", "n")
    )
    counts = [0] * layout.count
    for position_, n in rows:
        counts[int(position_)] += n
    return {**figures.histogram_layout(layout, counts), "n": done.lead_n}
