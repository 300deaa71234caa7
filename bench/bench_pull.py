"""Pull engine benchmark: demand stored -> processed (stock, cards, signals, work orders).

Prints, on this machine, with PostgreSQL, Redis and one Celery worker of 2 processes:
- baseline: raw single-row autocommit INSERTs through psycopg into the same database;
- sustained end-to-end rate: events stored in ERP-sized requests -> all processed;
- p50/p99 latency from stored to processed (signal made) at a steady 200 events/s;
- the ratio of the end-to-end rate to the baseline.

Run: `make bench` or `.venv/bin/python bench/bench_pull.py [--events 10000]`.
BENCH_WORKER_ARGS adds options to the worker's command line (e.g. "--prefetch-multiplier=1").
It creates (and drops) its own database `pullboard_bench`; PostgreSQL and Redis come from
DATABASE_URL / REDIS_URL (default: the standard local ports).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pullboard")
SERVER = SERVER.rsplit("/", 1)[0]
BENCH_DB = "pullboard_bench"
REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0] + "/14"
os.environ.update(
    DATABASE_URL=f"{SERVER}/{BENCH_DB}", REDIS_URL=REDIS, DJANGO_SETTINGS_MODULE="config.settings"
)


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(
        f"{SERVER}/postgres".replace("postgres://", "postgresql://", 1), autocommit=True
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def raw_insert_rate(rows: int) -> float:
    import psycopg

    dsn = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_baseline (id bigserial primary key,"
            " sku text, quantity numeric(14,3), at timestamptz default now())"
        )
        start = time.perf_counter()
        for i in range(rows):
            conn.execute(
                "INSERT INTO bench_baseline (sku, quantity) VALUES (%s, %s)", (f"SKU-{i % 50}", 2)
            )
        elapsed = time.perf_counter() - start
        conn.execute("DROP TABLE bench_baseline")
    return rows / elapsed


def build_plant(products: int, cards_per_loop: int):  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from kanban.services import loop_create
    from production.models import Location, Product, ProductionLine

    line = ProductionLine.objects.create(
        code="bench", name="Bench line", capacity_per_day=Decimal(10_000), wip_limit=1_000
    )
    supermarket = Location.objects.create(code="sm-bench", name="Bench supermarket")
    made = []
    for n in range(products):
        product = Product.objects.create(
            sku=f"B-{n:03d}",
            name=f"Bench product {n}",
            line=line,
            supermarket=supermarket,
            container_quantity=Decimal(10),
            lead_time_days=Decimal(1),
        )
        loop_create(product=product, card_count=cards_per_loop)
        made.append(product)
    return made


def start_worker() -> subprocess.Popen[bytes]:
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", "purge", "-f"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    log = open(ROOT / "var" / "bench-worker.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
            "--without-mingle",
            "--without-gossip",
            *os.environ.get("BENCH_WORKER_ARGS", "").split(),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    time.sleep(4)
    return process


def wait_processed(timeout: float = 300) -> None:
    from production.models import DemandEvent

    deadline = time.monotonic() + timeout
    while DemandEvent.objects.filter(processed_at__isnull=True).exists():
        if time.monotonic() > deadline:
            raise SystemExit("demand was not processed in time: see var/bench-worker.log")
        time.sleep(0.05)


def throughput(products, events: int, chunk: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    import random
    from decimal import Decimal

    from django.db.models import Max, Min
    from django.utils import timezone

    from production.models import DemandEvent
    from production.services.demand import DemandInput, demand_record_many

    rng = random.Random(1)
    now = timezone.now()
    items = [
        DemandInput(
            product=rng.choice(products),
            quantity=Decimal(rng.randint(1, 3)),
            occurred_at=now,
            external_id=f"tp-{i}",
            source="bench",
        )
        for i in range(events)
    ]
    start = time.perf_counter()
    for i in range(0, events, chunk):
        demand_record_many(items[i : i + chunk])
    stored = time.perf_counter() - start
    wait_processed()
    span = DemandEvent.objects.filter(source="bench").aggregate(
        first=Min("created_at"), last=Max("processed_at")
    )
    seconds = (span["last"] - span["first"]).total_seconds()
    return events / seconds, events / stored


def latency(products, rate: int, seconds: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Single events at a steady rate, each its own request and transaction.

    "Stored" is the moment the event's transaction committed (an on_commit hook
    registered before the engine's own), "signalled" its `processed_at`: the engine
    stamps it in the transaction that consumes stock and raises the signals, after
    writing them, just before that transaction commits. The
    latency from the row's `created_at` (stamped before the INSERT, so it includes the
    commit's disk flush) is printed too.
    """
    from datetime import UTC, datetime
    from decimal import Decimal

    from django.db import transaction

    from production.models import DemandEvent
    from production.services import demand_record

    count = rate * seconds
    interval = 1 / rate
    stored: dict[str, datetime] = {}
    run = f"{time.time():.0f}"
    start = time.perf_counter()
    for i in range(count):
        external_id = f"lat-{run}-{i}"
        with transaction.atomic():
            transaction.on_commit(
                lambda key=external_id: stored.__setitem__(key, datetime.now(UTC))
            )
            demand_record(
                product=products[i % len(products)],
                quantity=Decimal(1),
                external_id=external_id,
                source="latency",
            )
        delay = start + (i + 1) * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    achieved = count / (time.perf_counter() - start)
    wait_processed()
    rows = DemandEvent.objects.filter(source="latency", external_id__startswith=f"lat-{run}-")
    from_commit, from_stamp = [], []
    for e in rows.only("external_id", "created_at", "processed_at"):
        from_commit.append(max(0.0, (e.processed_at - stored[e.external_id]).total_seconds()))
        from_stamp.append((e.processed_at - e.created_at).total_seconds())

    def pct(values: list[float], q: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, int(len(values) * q))] * 1000

    return {
        "p50": pct(from_commit, 0.5),
        "p95": pct(from_commit, 0.95),
        "p99": pct(from_commit, 0.99),
        "stamp_p50": pct(from_stamp, 0.5),
        "stamp_p99": pct(from_stamp, 0.99),
        "rate": achieved,
        "n": len(from_commit),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=100, help="events per ERP request")
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=20, help="of steady-rate latency")
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    recreate_database()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    baseline = raw_insert_rate(5_000)
    products = build_plant(products=20, cards_per_loop=(args.events * 3) // (20 * 10) + 20)
    worker = start_worker()
    try:
        rate, store_rate = throughput(products, args.events, args.chunk)
        lat = latency(products, args.rate, args.seconds)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
    print("pull engine benchmark (2 cores; PostgreSQL, Redis, 1 worker x 2 processes)")
    print(f"  baseline: raw single-row INSERTs via psycopg      {baseline:10.0f} rows/s")
    print(f"  demand stored (requests of {args.chunk} events)          {store_rate:10.0f} events/s")
    print(
        f"  end to end, stored -> processed, {args.events} events  {rate:10.0f} events/s"
        f"   (target >= 1000)"
    )
    print(
        f"  ratio end-to-end / raw INSERT                     {rate / baseline:10.2f}"
        f"   (target >= 0.25)"
    )
    print(
        f"  latency stored (committed) -> signalled at {lat['rate']:.0f} events/s"
        f" ({lat['n']:.0f} events): p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms,"
        f" p99 {lat['p99']:.1f} ms   (target p99 < 50 ms)"
    )
    print(
        f"  the same from the row's created_at stamp (before its commit):"
        f" p50 {lat['stamp_p50']:.1f} ms, p99 {lat['stamp_p99']:.1f} ms"
    )


if __name__ == "__main__":
    main()
