"""Push orders released on schedule: a real `celery beat` and a real worker, on PostgreSQL.

Beat fires `push_plan_task` every 2 s (PULLBOARD_PUSH_PLAN_EVERY_SECONDS); the worker
plans the push line's period and releases its orders once, however often beat fires.
A forecast refresh requested like the page does runs on the worker with its progress.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from config.celery import app as celery_app
from production.models import LineMode, WorkOrder
from production.planning.models import ForecastRun, ProductForecast, PushPlan
from production.planning.services.forecasts import forecast_run_request
from tests.factories import LineFactory, ProductFactory
from tests.integration.conftest import ROOT, RedisServer, Worker, wait_for
from tests.support import subprocess_database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def start_beat(broker: RedisServer, tmp_path: Path) -> Iterator[Callable[[], Path]]:
    processes: list[subprocess.Popen[bytes]] = []

    def start() -> Path:
        log = tmp_path / "beat.log"
        env = {
            **os.environ,
            "DATABASE_URL": subprocess_database_url(),
            "CELERY_BROKER_URL": broker.url,
            "PULLBOARD_PUSH_PLAN_EVERY_SECONDS": "2",
            "PYTHONUNBUFFERED": "1",
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(tmp_path / "beat-schedule"),
                "--pidfile",
                "",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        processes.append(process)
        return log

    yield start
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def test_beat_releases_push_orders_once_per_period(
    start_worker: Callable[..., Worker], start_beat: Callable[[], Path]
) -> None:
    line = LineFactory(code="press", mode=LineMode.PUSH, capacity_per_day=Decimal("500"))
    product = ProductFactory(sku="PUSHED", line=line, lead_time_days=Decimal("2"))
    ProductForecast.objects.create(
        product=product,
        method="ses",
        start_date=timezone.localdate(),
        values=[10.0] * 56,
        sigma_daily=2.0,
    )
    pull_line = LineFactory(code="lathe")
    ProductForecast.objects.create(
        product=ProductFactory(sku="PULLED", line=pull_line),
        method="ses",
        start_date=timezone.localdate(),
        values=[10.0] * 56,
    )
    worker = start_worker(concurrency=2)
    beat_log = start_beat()

    wait_for(
        lambda: WorkOrder.objects.filter(origin="push", status="released").exists(),
        timeout=60,
        what=f"a released push order\n{worker.log.read_text()[-2000:]}",
    )
    # Let beat fire a few more times: the period is planned once, not again.
    wait_for(
        lambda: beat_log.read_text().count("push_plan_task") >= 3,
        timeout=30,
        what="beat to fire push_plan_task again",
    )
    time.sleep(1)
    order = WorkOrder.objects.get(origin="push")
    assert order.product == product
    assert order.quantity == Decimal("40")  # 30 over 3 days + SS 6.6 -> whole containers of 10
    assert order.plan_explanation["forecast_over_protection"] == 30
    assert PushPlan.objects.get().line == line  # the pull line was not planned
    assert not WorkOrder.objects.filter(product__sku="PULLED").exists()


def test_forecast_refresh_runs_on_a_worker(
    start_worker: Callable[..., Worker], broker: RedisServer
) -> None:
    for sku in ("A", "B"):
        ProductFactory(sku=sku)
    start_worker(concurrency=1)
    # Another module's broker fixture may have published first: Celery caches its producer
    # pool on the app, so drop it to publish to this test's broker.
    celery_app.conf.broker_url = broker.url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    run = forecast_run_request(actor_id=None)
    wait_for(
        lambda: ForecastRun.objects.get(pk=run.pk).status == "done",
        timeout=60,
        what="the forecast run to finish on the worker",
    )
    run.refresh_from_db()
    assert run.done_products == run.total_products == 2
    assert ProductForecast.objects.filter(run=run, method="zero").count() == 2
