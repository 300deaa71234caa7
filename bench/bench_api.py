"""ERP API benchmark: demand intake over HTTP, against a minimal Django INSERT view.

Serves the app with gunicorn, 2 workers (gthread), on PostgreSQL and Redis, and
drives it from this process with concurrent HTTP clients for a few seconds each:
- baseline: a minimal Django view (no auth, no DRF) doing one INSERT per request;
- single: `POST /api/v1/demand-events/` with one event (token auth, roles, throttle);
- bulk: `POST /api/v1/demand-events/` with lists of 500 events.
For each: requests/s, p50 and p99 latency; for bulk, events stored per second
(counted in the database afterwards). Ratios are against the baseline of the same run.

Run: `.venv/bin/python bench/bench_api.py [--seconds 8] [--clients 6]`.
It creates (and drops) its own database `pullboard_bench_api`; PostgreSQL and Redis come
from DATABASE_URL / REDIS_URL (default: the standard local ports).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from itertools import count
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import free_port  # noqa: E402

SERVER = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pullboard")
SERVER = SERVER.rsplit("/", 1)[0]
BENCH_DB = "pullboard_bench_api"
REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0] + "/13"
os.environ.update(
    DATABASE_URL=f"{SERVER}/{BENCH_DB}",
    REDIS_URL=REDIS,
    DJANGO_SETTINGS_MODULE="config.settings",
    API_THROTTLE_RATE="100000000/hour",
    LOG_LEVEL="WARNING",
)

# The baseline: settings and urls that add one minimal view to the app, written to a
# temporary directory so gunicorn imports them like any module.
BASELINE_SETTINGS = """
from config.settings import *  # noqa: F403

ROOT_URLCONF = "pullboard_bench_urls"
"""
BASELINE_URLS = """
from django.db import connection
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def insert_one(request):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_baseline (body) VALUES (%s) RETURNING id", [request.body.decode()]
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [path("baseline/", insert_one), path("", include("config.urls"))]
"""


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(
        f"{SERVER}/postgres".replace("postgres://", "postgresql://", 1), autocommit=True
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def drop_database() -> None:
    import psycopg

    with psycopg.connect(
        f"{SERVER}/postgres".replace("postgres://", "postgresql://", 1), autocommit=True
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def prepare() -> str:
    """Migrate, make a product and an ERP user; returns the user's API token."""
    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection
    from knox.models import AuthToken

    from production.models import Location, Product, ProductionLine
    from tests.factories import UserFactory

    call_command("migrate", verbosity=0)
    line = ProductionLine.objects.create(
        code="bench", name="Bench", capacity_per_day=Decimal(10_000), wip_limit=1_000
    )
    supermarket = Location.objects.create(code="sm-bench", name="Bench supermarket")
    for n in range(20):
        Product.objects.create(
            sku=f"B-{n:03d}",
            name=f"Bench {n}",
            line=line,
            supermarket=supermarket,
            container_quantity=Decimal(10),
            lead_time_days=Decimal(1),
        )
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_baseline (id bigserial primary key, body text)")
    user = UserFactory(username="bench-erp", roles=["integration"])
    token = AuthToken.objects.create(user=user)[1]
    connection.close()
    return token


def start_server(port: int, site_dir: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pullboard_bench_settings",
        "PYTHONPATH": f"{site_dir}{os.pathsep}{ROOT}",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def run_load(
    port: int,
    path: str,
    headers: dict[str, str],
    body: Callable[[], bytes],
    seconds: float,
    clients: int,
) -> tuple[list[float], int]:
    """`clients` threads, each with a keep-alive connection, for `seconds`; latencies (s)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = 0
        while time.monotonic() < stop:
            payload = body()
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=payload, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status in (200, 201)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            if ok:
                mine.append(time.perf_counter() - started)
            else:
                bad += 1
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


def summary(name: str, latencies: list[float], seconds: float, errors: int) -> dict[str, float]:
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    figures = {
        "rps": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99_ms": p99 * 1000,
        "errors": errors,
    }
    print(
        f"{name:<34} {figures['rps']:>9.0f} req/s   p50 {figures['p50_ms']:7.1f} ms"
        f"   p99 {figures['p99_ms']:7.1f} ms   errors {errors}",
        flush=True,
    )
    return figures


def stored_events() -> int:
    import psycopg

    dsn = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM production_demandevent").fetchone()
    return int(row[0]) if row else 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0, help="per scenario")
    parser.add_argument("--clients", type=int, default=6, help="concurrent connections")
    parser.add_argument("--batch", type=int, default=500, help="events per bulk request")
    parser.add_argument(
        "--rounds", type=int, default=4, help="alternating baseline / single rounds"
    )
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    recreate_database()
    token = prepare()
    site_dir = tempfile.mkdtemp(prefix="pullboard-bench-")
    Path(site_dir, "pullboard_bench_settings.py").write_text(BASELINE_SETTINGS)
    Path(site_dir, "pullboard_bench_urls.py").write_text(BASELINE_URLS)
    port = free_port()
    server = start_server(port, site_dir)
    ids = count()
    json_headers = {"Content-Type": "application/json"}
    api_headers = {**json_headers, "Authorization": f"Token {token}"}
    occurred = "2026-11-20T08:00:00Z"

    def one_event() -> dict[str, str]:
        n = next(ids)
        return {
            "external_id": f"E-{n}",
            "product": f"B-{n % 20:03d}",
            "quantity": "1",
            "occurred_at": occurred,
        }

    def single() -> bytes:
        return json.dumps(one_event()).encode()

    def bulk() -> bytes:
        return json.dumps([one_event() for _ in range(args.batch)]).encode()

    try:
        print(
            f"gunicorn 2 workers x 4 threads; {args.clients} client connections; "
            f"{args.seconds:.0f} s per scenario",
            flush=True,
        )
        # A short warm-up of each path (imports, connections).
        run_load(port, "/baseline/", json_headers, single, 1, 2)
        run_load(port, "/api/v1/demand-events/", api_headers, single, 1, 2)
        before = stored_events()

        # Baseline and single POSTs alternate in short rounds, so that a burst of load
        # from elsewhere on this shared machine falls on both alike.
        base_lat: list[float] = []
        one_lat: list[float] = []
        base_err = one_err = 0
        slice_s = args.seconds / args.rounds
        for _ in range(args.rounds):
            lat, err = run_load(port, "/baseline/", json_headers, single, slice_s, args.clients)
            base_lat += lat
            base_err += err
            lat, err = run_load(
                port, "/api/v1/demand-events/", api_headers, single, slice_s, args.clients
            )
            one_lat += lat
            one_err += err
        base = summary("baseline: Django view, one INSERT", base_lat, args.seconds, base_err)
        one = summary("POST demand-events/ (1 event)", one_lat, args.seconds, one_err)
        singles_stored = stored_events() - before

        before = stored_events()
        start = time.perf_counter()
        lat, err = run_load(
            port, "/api/v1/demand-events/", api_headers, bulk, args.seconds, args.clients
        )
        elapsed = time.perf_counter() - start
        many = summary(f"POST demand-events/ ({args.batch} events)", lat, args.seconds, err)
        bulk_stored = stored_events() - before
        bulk_rate = bulk_stored / elapsed
        print(f"\nsingle events stored: {singles_stored}; bulk events stored: {bulk_stored}")
        print(f"bulk intake: {bulk_rate:,.0f} events/s stored (target >= 5,000)")
        print(f"single POST rate / baseline rate: {one['rps'] / base['rps']:.2f} (target >= 0.50)")
        print(f"bulk events/s / baseline req/s: {bulk_rate / base['rps']:.1f}")
        print(
            f"p99 ratio vs baseline: single {one['p99_ms'] / base['p99_ms']:.1f}x, "
            f"bulk request {many['p99_ms'] / base['p99_ms']:.1f}x"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        try:
            import redis

            redis.Redis.from_url(REDIS).flushdb()  # the demand kicks nobody will process
        except Exception as exc:  # the figures are printed; cleaning up is best effort
            print(f"could not clear the bench Redis db: {exc}")
        if not args.keep_db:
            drop_database()
    return 0


if __name__ == "__main__":
    sys.exit(main())
