"""A line's daily sums of stock moves and demand: from the per-day sums on PostgreSQL, from
the raw tables elsewhere (the embedded SQLite profile) or when asked (`raw=True`, the test
that holds the two equal).

Days are calendar days in the current time zone (`TIME_ZONE`); each function returns the
days from `first` on, keyed by date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from production.dashboards.models import DailyDemand, DailyStockFlow
from production.models import DemandEvent, Product, ProductionLine, StockMove

CLOCK_LEEWAY = timedelta(minutes=1)  # as in flows_sql.PROCESSED
ZERO = Value(0, output_field=DecimalField(max_digits=18, decimal_places=3))


@dataclass(frozen=True)
class DemandDay:
    demanded: float = 0.0
    events: int = 0
    processed: float = 0.0  # units of events Pullboard processed after storing them
    processed_events: int = 0
    backordered: float = 0.0  # of the processed units, what stock could not cover


def use_summary() -> bool:
    return connection.vendor == "postgresql"


def midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _totals(rows: QuerySet[Any], *fields: str) -> dict[date, tuple[Any, ...]]:
    return {row[0]: row[1:] for row in rows.values_list("day", *fields)}


def line_products(line: ProductionLine) -> tuple[list[int], float | None]:
    """The line's product ids (the sums are keyed by product) and their mean container
    quantity, read once per line object."""
    cached: tuple[list[int], float | None] | None = getattr(line, "_dashboard_products", None)
    if cached is None:
        rows = list(Product.objects.filter(line=line).values_list("id", "container_quantity"))
        mean = float(sum(q for _, q in rows) / len(rows)) if rows else None
        cached = ([pk for pk, _ in rows], mean)
        line._dashboard_products = cached  # type: ignore[attr-defined]
    return cached


def _product_ids(line: ProductionLine) -> list[int]:
    return line_products(line)[0]


def supermarket_moves_by_day(
    *, line: ProductionLine, first: date, raw: bool = False
) -> dict[date, float]:
    """The net stock moves of the line's products at their supermarkets, per day."""
    if use_summary() and not raw:
        qs: QuerySet[Any] = DailyStockFlow.objects.filter(
            product_id__in=_product_ids(line),  # a list: the planner then reads the index
            product__line=line,
            location_id=F("product__supermarket_id"),
            day__gte=first,
            moves__gt=0,  # a day whose moves all went elsewhere keeps an empty row
        )
    else:
        qs = StockMove.objects.filter(
            product__line=line,
            location_id=F("product__supermarket_id"),
            created_at__gte=midnight(first),
        ).annotate(day=TruncDate("created_at"))
    rows = qs.order_by().values("day").annotate(total=Sum("quantity"))
    return {day: float(total) for day, (total,) in _totals(rows, "total").items()}


def demand_by_day(*, line: ProductionLine, first: date, raw: bool = False) -> dict[date, DemandDay]:
    """Units demanded per day (by `occurred_at`), and of the events Pullboard processed
    after storing them, the units and what was backordered."""
    rows: QuerySet[Any]
    if use_summary() and not raw:
        rows = (
            DailyDemand.objects.filter(
                product_id__in=_product_ids(line), day__gte=first, events__gt=0
            )
            .order_by()
            .values("day")
            .annotate(
                d=Sum("demanded"),
                n=Sum("events"),
                p=Sum("processed"),
                pn=Sum("processed_events"),
                b=Sum("backordered"),
            )
        )
    else:
        processed = Q(processed_at__isnull=False, processed_at__gte=F("created_at") - CLOCK_LEEWAY)
        rows = (
            DemandEvent.objects.filter(product__line=line, occurred_at__gte=midnight(first))
            .annotate(day=TruncDate("occurred_at"))
            .order_by()
            .values("day")
            .annotate(
                d=Sum("quantity"),
                n=Count("id"),
                p=Coalesce(Sum("quantity", filter=processed), ZERO),
                pn=Count("id", filter=processed),
                b=Coalesce(Sum("backordered_quantity", filter=processed), ZERO),
            )
        )
    return {
        day: DemandDay(float(d), int(n), float(p), int(pn), float(b))
        for day, (d, n, p, pn, b) in _totals(rows, "d", "n", "p", "pn", "b").items()
    }
