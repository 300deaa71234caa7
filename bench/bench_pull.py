"""Pull engine benchmark: demand stored -> processed (stock, cards, signals, work orders).

Prints, on this machine, with PostgreSQL, Redis and one Celery worker of 2 processes:
- baseline: raw single-row autocommit INSERTs through psycopg into the same database;
- sustained end-to-end rate: events stored in ERP-sized requests -> all processed;
- p50/p99 latency from stored to processed (signal made) at a steady 200 events/s;
- the ratio of the end-to-end rate to the baseline;
- the mixed run: the same end-to-end rate and latency on a plant where a third of the
  loops are supplier or transfer loops (`bench/mixed_plant.py`), beside the figures above.

Run: `make bench` or `.venv/bin/python bench/bench_pull.py [--events 10000]`.
BENCH_WORKER_ARGS adds options to the worker's command line (e.g. "--prefetch-multiplier=1").
It creates (and drops) its own database `pullboard_bench` (BENCH_PULL_DB) and uses Redis
database 14 (BENCH_PULL_REDIS_DB); PostgreSQL and Redis come from DATABASE_URL / REDIS_URL
(default: the standard local ports). Then the scale-out runs: 1, 2 and 4 worker processes
(`--workers`) on 20 and 2,000 products (`--products`), each measured end to end (stored while
the worker drains) and as a backlog drain (stored first, then drained).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Rounds of the production-only and the mixed plant, in a balanced order (P M M P, P M M P,
# ...: a load that rises or falls steadily over the run falls on both alike). A round is about
# three seconds end to end on a quiet machine and two rounds of one plant differed by up to 20 %,
# so the figures are medians over eight rounds each, printed with their spread.
MIXED_ROUNDS = 8
MIXED_ROUND_EVENTS = 8_000
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pullboard")
SERVER = SERVER.rsplit("/", 1)[0]
# BENCH_PULL_DB and BENCH_PULL_REDIS_DB keep runs on a shared machine apart.
BENCH_DB = os.environ.get("BENCH_PULL_DB", "pullboard_bench")
REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0]
REDIS += "/" + os.environ.get("BENCH_PULL_REDIS_DB", "14")
os.environ.update(
    DATABASE_URL=f"{SERVER}/{BENCH_DB}", REDIS_URL=REDIS, DJANGO_SETTINGS_MODULE="config.settings"
)
# The bench's loops hold enough cards never to run dry over a run (270 at 10,000 events),
# past the plant's default bound of 200 a loop that `loop_create` holds to.
os.environ.setdefault("PULLBOARD_LOOP_MAX_CARDS", "5000")


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


def build_plant(products: int, cards_per_loop: int, prefix: str = "B"):  # type: ignore[no-untyped-def]
    """`products` products on one pull line, each with a loop of full cards (bulk inserts)."""
    from tests.bulk_plant import build_pull_loops

    return build_pull_loops(
        products, prefix=prefix, cards=cards_per_loop, container_quantity=10, with_bom=False
    ).products


def start_worker(processes: int = 2, *, purge: bool = True) -> subprocess.Popen[bytes]:
    if purge:
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
            str(processes),
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
    time.sleep(4 + processes)
    return process


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(60)


def wait_processed(timeout: float = 300) -> None:
    from production.models import DemandEvent

    deadline = time.monotonic() + timeout
    while DemandEvent.objects.filter(processed_at__isnull=True).exists():
        if time.monotonic() > deadline:
            raise SystemExit("demand was not processed in time: see var/bench-worker.log")
        time.sleep(0.05)


def throughput(
    products, events: int, chunk: int, run: str = "tp", places=None
) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Events stored in requests of `chunk` while the worker drains them: events / (last
    processed - first stored), and the storing rate. `places`: product id -> the
    location a product's demand names (line-side loops)."""
    import random
    from decimal import Decimal

    from django.db.models import Max, Min
    from django.utils import timezone

    from production.models import DemandEvent
    from production.services.demand import DemandInput, demand_record_many

    rng = random.Random(1)
    now = timezone.now()
    places = places or {}
    chosen = [rng.choice(products) for _ in range(events)]
    items = [
        DemandInput(
            product=product,
            quantity=Decimal(rng.randint(1, 3)),
            occurred_at=now,
            external_id=f"{run}-{i}",
            source=f"bench-{run}",
            location=places.get(product.pk),
        )
        for i, product in enumerate(chosen)
    ]
    start = time.perf_counter()
    for i in range(0, events, chunk):
        demand_record_many(items[i : i + chunk])
    stored = time.perf_counter() - start
    wait_processed()
    span = DemandEvent.objects.filter(source=f"bench-{run}").aggregate(
        first=Min("created_at"), last=Max("processed_at")
    )
    seconds = (span["last"] - span["first"]).total_seconds()
    return events / seconds, events / stored


def backlog_drain(products, events: int, chunk: int, processes: int, run: str) -> float:  # type: ignore[no-untyped-def]
    """Events stored with no worker running (their drains wait in the queue), then a worker
    of `processes` processes drains them: events / (last processed - first processed)."""
    import random
    from decimal import Decimal

    from django.db.models import Max, Min
    from django.utils import timezone

    from production.models import DemandEvent
    from production.services.demand import DemandInput, demand_record_many

    rng = random.Random(2)
    now = timezone.now()
    items = [
        DemandInput(
            product=rng.choice(products),
            quantity=Decimal(rng.randint(1, 3)),
            occurred_at=now,
            external_id=f"{run}-{i}",
            source=f"bench-{run}",
        )
        for i in range(events)
    ]
    for i in range(0, events, chunk):
        demand_record_many(items[i : i + chunk])
    worker = start_worker(processes, purge=False)  # the queued drains are the work
    try:
        wait_processed()
    finally:
        stop_worker(worker)
    span = DemandEvent.objects.filter(source=f"bench-{run}").aggregate(
        first=Min("processed_at"), last=Max("processed_at")
    )
    return events / max((span["last"] - span["first"]).total_seconds(), 1e-3)


def latency(products, rate: int, seconds: int, places=None) -> dict[str, float]:  # type: ignore[no-untyped-def]
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
    places = places or {}
    stored: dict[str, datetime] = {}
    run = f"{time.time():.0f}"
    start = time.perf_counter()
    for i in range(count):
        external_id = f"lat-{run}-{i}"
        with transaction.atomic():
            transaction.on_commit(
                lambda key=external_id: stored.__setitem__(key, datetime.now(UTC))
            )
            product = products[i % len(products)]
            demand_record(
                product=product,
                quantity=Decimal(1),
                external_id=external_id,
                source="latency",
                location=places.get(product.pk),
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
        "values": from_commit,
    }


def scale_out(args: argparse.Namespace) -> list[tuple[int, int, float, float]]:
    """(products, worker processes, end-to-end events/s, backlog drain events/s) per run."""
    from django.db import connection

    from production.services.demand_processing import demand_partitions

    figures = []
    sizes = [int(n) for n in args.products.split(",")]
    processes = [int(n) for n in args.workers.split(",")]
    runs = 2 * len(processes)
    for size in sizes:
        cards = (runs * args.events * 2) // (size * 10) + 20
        products = build_plant(products=size, cards_per_loop=cards, prefix=f"S{size}")
        for n in processes:
            worker = start_worker(n)
            try:
                rate, _ = throughput(products, args.events, args.chunk, run=f"e2e-{size}-{n}")
            finally:
                stop_worker(worker)
            drain = backlog_drain(products, args.events, args.chunk, n, run=f"bl-{size}-{n}")
            figures.append((size, n, rate, drain))
            connection.close()
    print(
        f"  scale-out ({demand_partitions()} drain partitions by product; {args.events} events a run)"
    )
    print("    products  processes  end to end (stored while draining)  backlog drain")
    for size, n, rate, drain in figures:
        print(f"    {size:>8}  {n:>9}  {rate:>21.0f} events/s  {drain:>12.0f} events/s")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=100, help="events per ERP request")
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=20, help="of steady-rate latency")
    parser.add_argument("--workers", default="1,2,4", help="worker processes of the scale-out runs")
    parser.add_argument("--products", default="20,2000", help="plant sizes of the scale-out runs")
    parser.add_argument("--only-scale-out", action="store_true")
    parser.add_argument("--no-scale-out", action="store_true", help="the single-worker runs only")
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    recreate_database()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"load average at the start: {os.getloadavg()[0]:.2f} (1 min)")
    if not args.only_scale_out:
        single_worker(args)
    if not args.no_scale_out:
        scale_out(args)
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (1 min)")


def settle() -> None:
    """Between rounds: a checkpoint and a vacuum with fresh statistics, so that no round
    starts with another's dead rows or pending writes (autovacuum or a checkpoint falling
    inside one round and not the next was the largest spread between rounds)."""
    import psycopg

    dsn = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        conn.execute("VACUUM (ANALYZE)")


def _round_order(rounds: int) -> list[str]:
    """P M M P repeated: each plant as often first as second, early as late."""
    unit = ["production", "mixed", "mixed", "production"]
    return (unit * ((rounds + 1) // 2))[: 2 * rounds]


def _cards_for(events: int, steady: int) -> int:
    """Cards a loop of the bench's 20 needs never to run dry: `events` of 1 to 3 units (2 on
    average) and `steady` single units, containers of 10, and a third more for the spread."""
    containers = (events * 2 + steady) / (20 * 10)
    return int(containers * 4 / 3) + 20


def single_worker(args: argparse.Namespace) -> None:
    from bench.mixed_plant import build_mixed_plant

    baseline = raw_insert_rate(5_000)
    steady = args.rate * args.seconds
    round_seconds = max(3, args.seconds // 3)  # of steady rate a round: pooled over the rounds
    rounds_events = MIXED_ROUNDS * MIXED_ROUND_EVENTS
    rounds_steady = MIXED_ROUNDS * args.rate * round_seconds
    cards = _cards_for(args.events + rounds_events, steady + rounds_steady)
    products = build_plant(products=20, cards_per_loop=cards)
    # The mixed run's plant: as many loops, a third of them supplier or transfer loops, the
    # same cards, measured by the same worker in balanced rounds with the production-only
    # plant, so that load from elsewhere falls on both alike.
    mixed = build_mixed_plant(20, cards)
    plants = {"production": (products, None), "mixed": (mixed.products, mixed.places)}
    worker = start_worker()
    try:
        rate, store_rate = throughput(products, args.events, args.chunk)
        lat = latency(products, args.rate, args.seconds)
        rounds: dict[str, list[Any]] = {"production": [], "mixed": []}
        for r, name in enumerate(_round_order(MIXED_ROUNDS)):
            plant, places = plants[name]
            settle()
            got, _ = throughput(
                plant, MIXED_ROUND_EVENTS, args.chunk, run=f"{name}-{r}", places=places
            )
            rounds[name].append((got, latency(plant, args.rate, round_seconds, places)))
    finally:
        stop_worker(worker)
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
    mixed_run(mixed.sources, rounds)


def mixed_run(sources: dict[str, int], rounds: dict[str, list[Any]]) -> None:
    """The mixed plant's figures beside the production-only ones of the same rounds: the
    median end-to-end rate, and the latency percentiles of all rounds' events pooled."""
    import statistics

    loops = ", ".join(f"{n} {source}" for source, n in sources.items())
    print(
        f"  mixed run ({loops} loops; {MIXED_ROUNDS} rounds each of {MIXED_ROUND_EVENTS} events"
        " end to end and steady-rate latency, in P M M P order;"
        " a signal makes a work order, call-off or transfer order)"
    )
    print("                                   production only      mixed     mixed/production")
    rate = {name: statistics.median(r for r, _ in runs) for name, runs in rounds.items()}
    pooled = {
        name: sorted(v for _, lat in runs for v in lat["values"]) for name, runs in rounds.items()
    }

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(len(values) * q))] * 1000

    print(
        f"    end to end, events/s          {rate['production']:15.0f} {rate['mixed']:10.0f}"
        f" {rate['mixed'] / rate['production']:12.2f}   (target >= 0.90)"
    )
    spread = {
        name: f"{min(r for r, _ in runs):.0f}-{max(r for r, _ in runs):.0f}"
        for name, runs in rounds.items()
    }
    print(f"      rounds' range               {spread['production']:>15} {spread['mixed']:>10}")
    for label, q in (("p50", 0.5), ("p99", 0.99)):
        a, b = pct(pooled["production"], q), pct(pooled["mixed"], q)
        print(
            f"    {label} commit -> signal, ms      {a:15.1f} {b:10.1f} {b / max(a, 1e-9):12.2f}"
            + ("   (target <= 1.10)" if label == "p99" else "")
        )


if __name__ == "__main__":
    main()
