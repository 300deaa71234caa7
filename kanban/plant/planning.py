"""The plant's planning history: forecast refreshes, push plans, mode switches, comparisons.

What the planning pages and lists read, in the amounts a plant after two years has: a
forecast for every product (from its last four weeks of consumption, with backtest
scores of three methods) and the last `FORECAST_RUNS` nightly refreshes; a mode switch
for each push line and a daily push plan for each over the last `PLAN_DAYS` days (one
row per product, tied to the push order released that day, if any); and the last
`SHADOW_NIGHTS` nightly shadow comparisons of every line. Nothing of today is written:
the nightly and daily tasks still find their work to do.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

FORECAST_RUNS = 30
PLAN_DAYS = 60
SHADOW_NIGHTS = 7

FORECAST_SQL = [
    """
    INSERT INTO production_forecastrun
        (status, trigger, total_products, done_products, message, created_at, started_at,
         finished_at)
    SELECT 'done', 'schedule', %(products)s, %(products)s,
           format('%%s products forecast, 0 on a fallback.', %(products)s), at, at,
           at + interval '4 minutes'
    FROM generate_series(%(runs)s, 1, -1) AS k,
         LATERAL (SELECT date_trunc('day', %(now)s::timestamptz) - k * interval '1 day'
                         + interval '2 hours' AS at) AS t
    """,
    # Mean daily consumption over the last 28 days (customers' and work orders' alike).
    """
    INSERT INTO production_productforecast
        (product_id, run_id, method, fallback_reason, scores, start_date, "values",
         sigma_daily, history_days, bucket, season_length, calendar_source, intervals,
         history_buckets, overrides, updated_at)
    SELECT p.id, (SELECT max(id) FROM production_forecastrun), m.method, '',
           jsonb_build_object(
               m.method, jsonb_build_object('mase', 0.81, 'bias', 0.02, 'rmse', round(d.daily * 0.3, 4)),
               'naive', jsonb_build_object('mase', 1.0, 'bias', 0.0, 'rmse', round(d.daily * 0.4, 4)),
               'moving_average', jsonb_build_object('mase', 0.93, 'bias', -0.01, 'rmse', round(d.daily * 0.35, 4))),
           %(today)s::date,
           (SELECT jsonb_agg(round((d.daily * (1 + 0.1 * sin(k)))::numeric, 4))
            FROM generate_series(1, 56) AS k),
           round(d.daily * 0.3, 4), %(days)s, 'day', 7,
           jsonb_build_object('bucket', 'plant', 'season_length', 'plant'),
           jsonb_build_object('80', jsonb_build_object(
               'lower', (SELECT jsonb_agg(round(greatest(d.daily * (1 + 0.1 * sin(k)) - 1.2816 * d.daily * 0.3, 0)::numeric, 4))
                        FROM generate_series(1, 56) AS k),
               'upper', (SELECT jsonb_agg(round((d.daily * (1 + 0.1 * sin(k)) + 1.2816 * d.daily * 0.3)::numeric, 4))
                        FROM generate_series(1, 56) AS k))),
           %(days)s, '{}'::jsonb, date_trunc('day', %(now)s::timestamptz)
    FROM production_product p
    LEFT JOIN LATERAL (
        SELECT coalesce(-sum(s.quantity), 0) / 28 AS daily FROM production_stockmove s
        WHERE s.product_id = p.id AND s.location_id = p.supermarket_id
          AND s.kind = 'consumption' AND s.created_at >= %(now)s::timestamptz - interval '28 days'
    ) AS d ON true,
    LATERAL (SELECT (ARRAY['ses', 'holt_winters', 'croston_sba', 'seasonal_naive'])[1 + p.id %% 4]
             AS method) AS m
    WHERE p.id > %(product_off)s
    """,
]

PUSH_SQL = [
    """
    INSERT INTO production_linemodeswitch
        (line_id, from_mode, to_mode, reason, effective_at, applied_at, created_at)
    SELECT id, 'pull', 'push', 'Seasonal demand: plan from the forecast.', %(start)s,
           %(start)s, %(start)s - interval '1 day'
    FROM production_productionline WHERE id > %(line_off)s AND mode = 'push'
    """,
    """
    INSERT INTO production_pushplan
        (line_id, status, released_at, period_start, period_days, capacity, load,
         over_capacity, created_at)
    SELECT l.id, 'released', d + interval '1 hour', d::date, 1, l.capacity_per_day, 0, false,
           d + interval '1 hour'
    FROM production_productionline l,
         generate_series(date_trunc('day', %(now)s::timestamptz) - %(plan_days)s * interval '1 day',
                         date_trunc('day', %(now)s::timestamptz) - interval '1 day',
                         interval '1 day') AS d
    WHERE l.id > %(line_off)s AND l.mode = 'push'
    """,
    # One row per product and day; the push order released that day (the first, if two).
    """
    INSERT INTO production_pushplanline
        (plan_id, product_id, quantity, beyond_capacity, work_order_id, explanation)
    SELECT pl.id, p.id, coalesce(w.quantity, 0), false, w.id,
           jsonb_build_object(
               'product', p.sku, 'period_start', pl.period_start,
               'lead_time_days', p.lead_time_days, 'review_period_days', 1,
               'protection_days', p.lead_time_days + 1, 'forecast_method', f.method,
               'forecast_fallback', '', 'forecast_daily_mean', f.sigma_daily / 0.3,
               'forecast_over_protection', round((f.sigma_daily / 0.3 * (p.lead_time_days + 1))::numeric, 4),
               'sigma_daily', f.sigma_daily, 'service_level', p.service_level, 'z', 1.6449,
               'safety_stock', round((1.6449 * f.sigma_daily * sqrt(p.lead_time_days + 1))::numeric, 4),
               'on_hand', 0, 'open_orders', 0, 'backorders', 0,
               'net_requirement', coalesce(w.quantity, 0), 'lot_sizing', p.lot_sizing,
               'container_quantity', p.container_quantity, 'fixed_lot_quantity', NULL,
               'quantity', coalesce(w.quantity, 0))
    FROM production_pushplan pl
    JOIN production_product p ON p.line_id = pl.line_id
    LEFT JOIN production_productforecast f ON f.product_id = p.id
    LEFT JOIN LATERAL (
        SELECT id, quantity FROM production_workorder o
        WHERE o.product_id = p.id AND o.origin = 'push'
          AND o.created_at >= pl.period_start AND o.created_at < pl.period_start + 1
        ORDER BY o.id LIMIT 1
    ) AS w ON true
    WHERE pl.line_id > %(line_off)s
    """,
    """
    UPDATE production_pushplan pl SET load = s.load FROM (
        SELECT plan_id, sum(quantity) AS load FROM production_pushplanline GROUP BY plan_id
    ) AS s
    WHERE s.plan_id = pl.id AND pl.line_id > %(line_off)s
    """,
]


def shadow_comparisons_write(*, now: datetime, line_offset: int) -> int:
    """The last nights' shadow comparisons of every line: the results of one real twin
    run (a week of the quietest line that has demand) stand for each, under its line."""
    from django.db.models import F

    from production.comparisons.models import Comparison, ComparisonKind, ComparisonStatus
    from production.comparisons.services import line_spec
    from production.comparisons.twin import compare
    from production.models import DemandEvent, ProductionLine

    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    lines = list(ProductionLine.objects.filter(pk__gt=line_offset).order_by("code"))
    with_demand = set(
        DemandEvent.objects.filter(occurred_at__gte=midnight - timedelta(days=7))
        .order_by()
        .values_list("product__line_id", flat=True)
        .distinct()
    )
    if not lines or not with_demand:
        return 0
    sample = [line for line in lines if line.pk in with_demand][-1]
    spec = line_spec(
        line=sample, start=midnight - timedelta(days=7), end=midnight, seed=1, replications=1
    )
    results: dict[str, Any] = compare(spec)
    rows = []
    for night in range(1, SHADOW_NIGHTS + 1):
        end = midnight - timedelta(days=night - 1)
        start = end - timedelta(weeks=4)
        for line in lines:
            rows.append(
                Comparison(
                    name=f"Shadow {line.code} {start.date()} to {end.date()}",
                    line=line,
                    kind=ComparisonKind.SHADOW,
                    spec=spec,
                    status=ComparisonStatus.DONE,
                    progress=1.0,
                    results=results,
                    started_at=end - timedelta(days=1) + timedelta(hours=3),
                    finished_at=end - timedelta(days=1) + timedelta(hours=3, minutes=2),
                )
            )
    stored = Comparison.objects.bulk_create(rows)
    # created_at is auto_now_add: each comparison's own night, afterwards.
    Comparison.objects.filter(pk__in=[c.pk for c in stored]).update(created_at=F("started_at"))
    return len(stored)
