"""Forecast refreshes: demand history in, one ProductForecast per product out.

The numbers come from `production.planning.forecasting` (pure numpy); this module reads the
daily demand history, sums it into each product's buckets (its calendar: the product's
own setting, else the plant's, else detected from the history), runs the portfolio in
chunks so progress shows, and stores the result. A refresh is requested (queued once)
and executed by a Celery task.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

import numpy as np
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from production.bulk import bulk_upsert_rows
from production.models import DemandEvent, MoveKind, Product, StockMove
from production.planning.forecasting import (
    ForecastConfig,
    SeriesForecast,
    SeriesSpec,
    forecast_portfolio,
)
from production.planning.forecasting import calendar as cal
from production.planning.models import (
    ForecastCalendar,
    ForecastRun,
    ForecastRunStatus,
    ProductForecast,
    ProductForecastCalendar,
)

ACTIVE = (ForecastRunStatus.QUEUED, ForecastRunStatus.RUNNING)
# A run stuck this long (a worker died) no longer blocks a new request.
STALE_AFTER = timedelta(hours=2)
PROGRESS_STEPS = 10  # progress writes per run, whatever the number of products


def daily_histories(
    product_ids: Sequence[int], *, end: date, max_days: int
) -> dict[int, np.ndarray]:
    """Daily demand per product, oldest first, from its first demand to the day before ``end``.

    Demand is what customers asked for (demand events) plus what work orders took as
    components (consumption moves of the ledger tied to a work order): a component's
    demand is dependent demand. Days without demand are zeros; days before
    ``end - max_days`` are ignored; a product with no demand in the window gets an empty
    series.
    """
    start = end - timedelta(days=max_days)
    # The window on the timestamps themselves (midnights of the current time zone, the days
    # TruncDate counts in), so an index on them can serve it; `__date` would hide them.
    since, until = (timezone.make_aware(datetime.combine(d, time.min)) for d in (start, end))
    events = (
        DemandEvent.objects.filter(
            product_id__in=product_ids, occurred_at__gte=since, occurred_at__lt=until
        )
        .order_by()
        .annotate(day=TruncDate("occurred_at"))
        .values("product_id", "day")
        .annotate(total=Sum("quantity"))
        .values_list("product_id", "day", "total")
    )
    components = (
        StockMove.objects.filter(
            product_id__in=product_ids,
            kind=MoveKind.CONSUMPTION,
            work_order__isnull=False,
            created_at__gte=since,
            created_at__lt=until,
        )
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values("product_id", "day")
        .annotate(total=Sum("quantity"))
        .values_list("product_id", "day", "total")
    )
    daily: dict[int, dict[date, float]] = {pid: {} for pid in product_ids}
    for pid, day, total in events:
        daily[pid][day] = daily[pid].get(day, 0.0) + float(total)
    for pid, day, total in components:
        daily[pid][day] = daily[pid].get(day, 0.0) - float(total)  # consumption is negative
    series = {}
    for pid, days in daily.items():
        first = min(days, default=end)
        values = np.zeros((end - first).days)
        for day, quantity in days.items():
            values[(day - first).days] = quantity
        series[pid] = values
    return series


def forecast_run_request(
    *, actor_id: int | None, trigger: str = "manual", queue: bool = True
) -> ForecastRun:
    """Ask for a refresh of every forecast. A refresh already queued or running is reused.

    ``queue=False`` only records the run, for a caller (the nightly task) that executes it.
    """
    from production.planning.tasks import forecasts_refresh_task

    with transaction.atomic():
        active = (
            ForecastRun.objects.select_for_update()
            .filter(status__in=ACTIVE, created_at__gte=timezone.now() - STALE_AFTER)
            .first()
        )
        if active is not None:
            return active
        run = ForecastRun.objects.create(trigger=trigger, requested_by_id=actor_id)
        if queue:
            transaction.on_commit(partial(forecasts_refresh_task.delay, run.pk))
    return run


STORED_FIELDS = [
    "run",
    "method",
    "fallback_reason",
    "scores",
    "start_date",
    "values",
    "sigma_daily",
    "history_days",
    "bucket",
    "season_length",
    "calendar_source",
    "intervals",
    "history_buckets",
    "updated_at",
]  # never `overrides`: a planner's overrides outlive refreshes


def history_window_days(config: ForecastConfig) -> int:
    """Days of daily history read: enough for the longest bucket's `max_history`."""
    return max(
        math.ceil(config.max_history[bucket] * cal.NOMINAL_DAYS[bucket]) for bucket in cal.BUCKETS
    )


@dataclass(frozen=True)
class ResolvedCalendar:
    bucket: str
    season_length: int
    source: dict[str, str]


def resolve_calendars(
    products: Sequence[Product], histories: dict[int, np.ndarray], *, end: date
) -> dict[int, tuple[ResolvedCalendar, np.ndarray, date]]:
    """Each product's calendar and its history in those buckets (two queries for all).

    Bucket: the product's setting, else the plant's, else detected (the ERP's cadence).
    Season: the product's setting, else the plant's when the plant's bucket is the one in
    force (or the plant sets no bucket), else detected by autocorrelation.
    """
    plant = ForecastCalendar.objects.first()
    own = {
        c.product_id: c
        for c in ProductForecastCalendar.objects.filter(product_id__in=[p.pk for p in products])
    }
    out = {}
    for product in products:
        daily = histories[product.pk]
        mine = own.get(product.pk)
        if mine is not None and mine.bucket:
            bucket, bucket_from = mine.bucket, "product"
            bucket_why = "set on the product"
        elif plant is not None and plant.bucket:
            bucket, bucket_from, bucket_why = plant.bucket, "plant", "set for the plant"
        else:
            bucket, bucket_why = cal.detect_bucket(daily, end=end)
            bucket_from = "detected"
        series, start = cal.to_buckets(daily, end=end, bucket=bucket)
        plant_season_fits = plant is not None and plant.bucket in ("", bucket)
        if mine is not None and mine.season_length:
            season, season_from, season_why = mine.season_length, "product", "set on the product"
        elif plant_season_fits and plant is not None and plant.season_length:
            season, season_from, season_why = plant.season_length, "plant", "set for the plant"
        else:
            season, season_why = cal.detect_season(series, bucket)
            season_from = "detected"
        source = {
            "bucket": bucket_from,
            "bucket_reason": bucket_why,
            "season": season_from,
            "season_reason": season_why,
        }
        out[product.pk] = (ResolvedCalendar(bucket, season, source), series, start)
    return out


def _store(
    run: ForecastRun,
    products: Sequence[Product],
    results: Sequence[SeriesForecast],
    calendars: dict[int, tuple[ResolvedCalendar, np.ndarray, date]],
    history_days: dict[int, int],
) -> None:
    """Every product's forecast in one upsert statement, whatever the number of products
    (a product has one current forecast)."""
    now = timezone.now()
    bulk_upsert_rows(
        [
            ProductForecast(
                product=product,
                run=run,
                method=result.method,
                fallback_reason=result.fallback_reason,
                scores=result.scores,
                start_date=calendars[product.pk][2],
                values=[round(v, 4) for v in result.forecast],
                sigma_daily=result.sigma_daily,
                history_days=history_days[product.pk],
                bucket=result.bucket,
                season_length=calendars[product.pk][0].season_length,
                calendar_source=calendars[product.pk][0].source,
                intervals=result.intervals,
                history_buckets=result.history_buckets,
                updated_at=now,
            )
            for product, result in zip(products, results, strict=True)
        ],
        unique_fields=["product"],
        update_fields=STORED_FIELDS,
    )


def forecast_run_execute(
    *,
    run_id: int,
    today: date | None = None,
    config: ForecastConfig | None = None,
) -> ForecastRun:
    """Forecast every product: the histories are read in one pass for all of them, fitted
    in `PROGRESS_STEPS` chunks (progress, ``done_products`` of ``total_products``, shows
    while it runs), and stored together in one transaction at the end.

    A run that is not queued (already done, or taken by another worker) is left alone.
    """
    config = config or ForecastConfig()
    today = today or timezone.localdate()
    with transaction.atomic():
        run = ForecastRun.objects.select_for_update().get(pk=run_id)
        if run.status != ForecastRunStatus.QUEUED:
            return run
        products = list(Product.objects.order_by("pk"))
        run.status = ForecastRunStatus.RUNNING
        run.started_at = timezone.now()
        run.total_products = len(products)
        run.save(update_fields=["status", "started_at", "total_products"])
    try:
        histories = daily_histories(
            [p.pk for p in products], end=today, max_days=history_window_days(config)
        )
        calendars = resolve_calendars(products, histories, end=today)
        used_days = {
            p.pk: min(
                len(histories[p.pk]),
                math.ceil(
                    config.max_history[calendars[p.pk][0].bucket]
                    * cal.NOMINAL_DAYS[calendars[p.pk][0].bucket]
                ),
            )
            for p in products
        }
        chunk_size = max(1, math.ceil(len(products) / PROGRESS_STEPS))
        results: list[SeriesForecast] = []
        for offset in range(0, len(products), chunk_size):
            chunk = products[offset : offset + chunk_size]
            results += forecast_portfolio(
                [calendars[p.pk][1] for p in chunk],
                [
                    SeriesSpec(calendars[p.pk][0].bucket, calendars[p.pk][0].season_length)
                    for p in chunk
                ],
                config,
            )
            if len(results) < len(products):
                ForecastRun.objects.filter(pk=run.pk).update(done_products=len(results))
        with transaction.atomic():
            _store(run, products, results, calendars, used_days)
            fallbacks = sum(1 for r in results if r.fallback_reason)
            run.done_products = len(products)
            run.status = ForecastRunStatus.DONE
            run.finished_at = timezone.now()
            run.message = f"{len(products)} products forecast, {fallbacks} on a fallback."
            run.save(update_fields=["done_products", "status", "finished_at", "message"])
    except Exception as exc:
        ForecastRun.objects.filter(pk=run.pk).update(
            status=ForecastRunStatus.FAILED, finished_at=timezone.now(), message=str(exc)[:500]
        )
        raise
    return run
