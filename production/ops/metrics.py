"""Prometheus metrics: the web tier's requests (request_metrics.py) and Pullboard's own.

`GET /metrics` with `Authorization: Bearer <PULLBOARD_METRICS_TOKEN>`; without the setting
the endpoint is off (404). Pullboard's figures are read when Prometheus scrapes, each
family with one set-based query (or one Redis round trip), so a scrape costs the same
number of queries on a plant of any size (tests/ops/test_metrics.py).

Other parts add their own families with `register_metric_source` (kanban: cards by status)
and their replenishment orders with `register_replenishment_orders` (the core: work
orders; call-offs and transfer orders register theirs when they come).
"""

from __future__ import annotations

import hmac
import logging
import os
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import prometheus_client
from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from production.models import DemandEvent, WorkOrder, WorkOrderStatus
from production.reconcile import last_reconcile_run
from production.redis_clients import redis_for
from production.webhooks.models import DeliveryStatus, WebhookDelivery

log = logging.getLogger(__name__)

MetricSource = Callable[[datetime], Iterable[Metric]]


@dataclass(frozen=True)
class OrderCounts:
    """Open replenishment orders of one kind on one line, and how many are past due."""

    line: str
    open: int
    late: int


OrderSource = Callable[[datetime], Iterable[OrderCounts]]

_sources: list[MetricSource] = []
_order_sources: dict[str, OrderSource] = {}


def register_metric_source(source: MetricSource) -> None:
    if source not in _sources:
        _sources.append(source)


def register_replenishment_orders(kind: str, source: OrderSource) -> None:
    """`kind` labels the orders (`work_order`, `call_off`, `transfer_order`)."""
    _order_sources[kind] = source


def _gauge(name: str, documentation: str, value: float | None = None, **kw: Any) -> Any:
    family = GaugeMetricFamily(name, documentation, **kw)
    if value is not None:
        family.add_metric([], value)
    return family


# --- Demand ----------------------------------------------------------------------------


def demand_backlog(now: datetime) -> Iterator[Metric]:
    """Unprocessed events and the oldest one's age (the partial index of unprocessed)."""
    backlog = DemandEvent.objects.filter(processed_at__isnull=True).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    yield _gauge(
        "pullboard_demand_unprocessed_events",
        "Demand events stored and not yet processed.",
        backlog["count"],
    )
    oldest = backlog["oldest"]
    yield _gauge(
        "pullboard_demand_oldest_unprocessed_age_seconds",
        "Age of the oldest unprocessed demand event (0 when none waits).",
        max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
    )


def _lags_postgresql(since: datetime) -> tuple[int, float | None, float | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY lag),
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY lag)
            FROM (
                SELECT extract(epoch FROM processed_at - created_at)::float8 AS lag
                FROM production_demandevent
                WHERE processed_at >= %s
            ) AS recent
            """,
            [since],
        )
        count, p50, p99 = cursor.fetchone()
    return int(count), p50, p99


def _lags_in_python(since: datetime) -> tuple[int, float | None, float | None]:
    """SQLite (the embedded profile) has no percentile_cont; its plant is small."""
    lags = sorted(
        (processed - created).total_seconds()  # type: ignore[operator]
        for processed, created in DemandEvent.objects.filter(processed_at__gte=since).values_list(
            "processed_at", "created_at"
        )
    )
    if not lags:
        return 0, None, None
    if len(lags) == 1:
        return 1, lags[0], lags[0]
    cuts = statistics.quantiles(lags, n=100, method="inclusive")
    return len(lags), statistics.median(lags), cuts[98]


def demand_processing(now: datetime) -> Iterator[Metric]:
    """Lag from stored to processed (p50, p99) and the rate, over the recent window."""
    window = settings.PULLBOARD_METRICS_WINDOW_SECONDS
    since = now - timedelta(seconds=window)
    lags = _lags_postgresql if connection.vendor == "postgresql" else _lags_in_python
    count, p50, p99 = lags(since)
    lag = GaugeMetricFamily(
        "pullboard_demand_processing_lag_seconds",
        f"Stored-to-processed time of the events processed in the last {window} s.",
        labels=["quantile"],
    )
    for quantile, value in (("0.5", p50), ("0.99", p99)):
        if value is not None:
            lag.add_metric([quantile], value)
    yield lag
    yield _gauge(
        "pullboard_demand_processed_per_second",
        f"Demand events processed per second over the last {window} s.",
        count / window,
    )


# --- Webhooks --------------------------------------------------------------------------


def webhook_deliveries(now: datetime) -> Iterator[Metric]:
    """Pending (the partial index of pending) and failed (the partial index of failed)."""
    pending = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).aggregate(
        pending=Count("pk"),
        due=Count("pk", filter=Q(next_attempt_at__lte=now)),
        oldest=Min("created_at"),
    )
    failed = WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).count()
    yield _gauge(
        "pullboard_webhook_deliveries_pending",
        "Webhook deliveries not yet delivered (waiting or between retries).",
        pending["pending"],
    )
    yield _gauge(
        "pullboard_webhook_deliveries_due",
        "Pending webhook deliveries whose next attempt is due now.",
        pending["due"],
    )
    yield _gauge(
        "pullboard_webhook_deliveries_failed",
        "Webhook deliveries given up after their last retry (redeliver them from the admin).",
        failed,
    )
    oldest = pending["oldest"]
    yield _gauge(
        "pullboard_webhook_oldest_pending_age_seconds",
        "Age of the oldest pending webhook delivery (0 when none).",
        max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
    )


# --- Replenishment orders --------------------------------------------------------------

OPEN_WORK_ORDER = (WorkOrderStatus.PLANNED, WorkOrderStatus.RELEASED, WorkOrderStatus.IN_PROGRESS)


def open_work_orders(now: datetime) -> Iterator[OrderCounts]:
    for row in (
        WorkOrder.objects.filter(status__in=OPEN_WORK_ORDER)
        .order_by()
        .values("line__code")
        .annotate(open=Count("pk"), late=Count("pk", filter=Q(due_at__lt=now)))
    ):
        yield OrderCounts(line=row["line__code"], open=row["open"], late=row["late"])


register_replenishment_orders("work_order", open_work_orders)


def replenishment_orders(now: datetime) -> Iterator[Metric]:
    opened = GaugeMetricFamily(
        "pullboard_replenishment_orders_open",
        "Open replenishment orders, by kind and line.",
        labels=["kind", "line"],
    )
    late = GaugeMetricFamily(
        "pullboard_replenishment_orders_late",
        "Open replenishment orders past their due time, by kind and line.",
        labels=["kind", "line"],
    )
    for kind, source in sorted(_order_sources.items()):
        for counts in source(now):
            opened.add_metric([kind, counts.line], counts.open)
            late.add_metric([kind, counts.line], counts.late)
    yield opened
    yield late


# --- Celery queues, the reconciler -----------------------------------------------------

PRIORITY_SEPARATOR = "\x06\x16"  # kombu's Redis transport: `queue`, `queue\x06\x163`, ...


def celery_queues(now: datetime) -> Iterator[Metric]:
    """Messages waiting in each queue of CELERY_TASK_QUEUES (Redis LLEN, one round trip)."""
    broker = settings.CELERY_BROKER_URL
    if not broker.startswith(("redis://", "rediss://")):
        return  # tasks run in process: there is no queue
    client = redis_for(broker)
    names = [queue.name for queue in settings.CELERY_TASK_QUEUES]
    steps = ("", *(f"{PRIORITY_SEPARATOR}{step}" for step in (3, 6, 9)))
    pipe = client.pipeline(transaction=False)
    for name in names:
        for step in steps:
            pipe.llen(name + step)
    lengths = pipe.execute()
    family = GaugeMetricFamily(
        "pullboard_celery_queue_length", "Tasks waiting in each Celery queue.", labels=["queue"]
    )
    for index, name in enumerate(names):
        family.add_metric([name], sum(lengths[index * len(steps) : (index + 1) * len(steps)]))
    yield family


def reconciler(now: datetime) -> Iterator[Metric]:
    run = last_reconcile_run()
    if run is None:
        return
    yield _gauge(
        "pullboard_reconciler_last_run_timestamp_seconds",
        "When the reconciler's last run finished (Unix time).",
        run["finished_at"],
    )
    yield _gauge(
        "pullboard_reconciler_last_run_duration_seconds",
        "How long the reconciler's last run took.",
        run["duration_seconds"],
    )
    findings = GaugeMetricFamily(
        "pullboard_reconciler_findings",
        "What the reconciler's last run found and repaired, by kind.",
        labels=["kind"],
    )
    for kind, count in sorted(run["findings"].items()):
        findings.add_metric([kind], count)
    yield findings


CORE_SOURCES: tuple[MetricSource, ...] = (
    demand_backlog,
    demand_processing,
    webhook_deliveries,
    replenishment_orders,
    celery_queues,
    reconciler,
)


class PullboardCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        started = time.monotonic()
        failed = GaugeMetricFamily(
            "pullboard_metrics_source_failed",
            "1 when a family of Pullboard's metrics could not be read for this scrape.",
            labels=["source"],
        )
        for source in (*CORE_SOURCES, *_sources):
            try:
                metrics = list(source(now))
            except Exception as exc:  # PostgreSQL or Redis away: the others still report
                log.warning("metrics source %s failed (%s)", source.__name__, exc)
                failed.add_metric([source.__name__], 1)
                continue
            failed.add_metric([source.__name__], 0)
            yield from metrics
        yield failed
        yield _gauge(
            "pullboard_metrics_scrape_seconds",
            "Time spent reading Pullboard's own metrics for this scrape.",
            time.monotonic() - started,
        )


def _web_registry() -> CollectorRegistry:
    """The request metrics of this process, or of every web process (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return prometheus_client.REGISTRY


def _authorised(request: HttpRequest) -> bool:
    token = settings.PULLBOARD_METRICS_TOKEN
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not settings.PULLBOARD_METRICS_TOKEN:
        return HttpResponse(_("Metrics are off: set PULLBOARD_METRICS_TOKEN."), status=404)
    if not _authorised(request):
        response = HttpResponse(_("A bearer token is needed for the metrics."), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    pullboard = CollectorRegistry(auto_describe=False)
    pullboard.register(PullboardCollector())
    body = prometheus_client.generate_latest(_web_registry()) + prometheus_client.generate_latest(
        pullboard
    )
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
