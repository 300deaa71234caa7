"""Operations at plant scale: a metrics scrape, a readiness probe and check_integrity.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/bench_ops.py
        [--sizes demo,x10] [--repeat 5]

Prints figures, asserts nothing. Each size is a `seed_plant` database of its own
(`pb_ops_plant_SIZE` beside DATABASE_URL's), built when missing and reused after, measured
in a child process. Per size: the median wall time of `--repeat` runs after one warm-up,
and the queries of one run (of the process's own connection: readiness runs its checks in
threads of their own, so its figure is 0), of GET /metrics (Pullboard's own families), GET /health/ready
and `check_integrity`; and a baseline measured in the same run, `SELECT count(*)` over the
demand events, so the figures read against what the database itself costs here. The plant
grows 10x from demo to x10 and from x10 to large: set-based reads show a query ratio of 1.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.plants import ensure_plant, plant_database_url  # noqa: E402


def _timed(work: Callable[[], Any], repeat: int) -> tuple[float, int]:
    from django.db import connection

    executed = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    work()  # warm-up
    with connection.execute_wrapper(count):
        work()
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000, len(executed)


OPS_MIDDLEWARE = (
    "production.ops.request_metrics.RequestMetricsMiddleware",
    "django_guid.middleware.guid_middleware",
    "production.ops.logs.RequestContextMiddleware",
)


def _middleware_cost(repeat: int) -> dict[str, tuple[float, int]]:
    """What the request metrics, request ids and log context add to every request: 200
    requests of /health/live (no database) with the settings' middleware and without those."""
    from django.conf import settings
    from django.test import Client, override_settings

    def batch(middleware: list[str]) -> Callable[[], None]:
        with override_settings(MIDDLEWARE=middleware):
            client = Client(HTTP_HOST="127.0.0.1")
            client.get("/health/live")  # the middleware chain is built on the first request

        def run() -> None:
            for _ in range(200):
                client.get("/health/live")

        return run

    without = [m for m in settings.MIDDLEWARE if m not in OPS_MIDDLEWARE]
    return {
        "200 x /health/live without the ops middleware": _timed(batch(without), repeat),
        "200 x /health/live with it (the settings')": _timed(batch(settings.MIDDLEWARE), repeat),
    }


def measure(repeat: int) -> dict[str, tuple[float, int]]:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from production.ops import health
    from production.ops.integrity import check_integrity

    settings.PULLBOARD_METRICS_TOKEN = "bench"
    client = Client(HTTP_HOST="127.0.0.1")

    def scrape() -> None:
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer bench").status_code == 200

    def ready() -> None:
        health._migrations_current.clear()  # every probe reads the migrations, as the first
        assert client.get("/health/ready").status_code == 200

    def count_demand() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM production_demandevent")

    def integrity() -> None:
        check_integrity()

    return {
        **_middleware_cost(repeat),
        "baseline: count(*) of demand events": _timed(count_demand, repeat),
        "GET /metrics": _timed(scrape, repeat),
        "GET /health/ready": _timed(ready, repeat),
        "check_integrity": _timed(integrity, max(1, repeat // 2)),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="demo,x10")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.repeat)))
        return 0
    sizes = args.sizes.split(",")
    results: dict[str, dict[str, tuple[float, int]]] = {}
    for size in sizes:
        url = plant_database_url(size, prefix="pb_ops_plant_", bench="bench_ops.py")
        ensure_plant(url, size)
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
        env.setdefault("DJANGO_SECRET_KEY", "bench-only")
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--repeat", str(args.repeat)],
            env={**env, "LOG_LEVEL": "ERROR"},
            capture_output=True,
            text=True,
            check=True,
        )
        results[size] = json.loads(done.stdout.strip().splitlines()[-1])
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"load: {load}")
    header = " | ".join(f"{size}: ms, queries" for size in sizes)
    print(f"| work | {header} | growth {sizes[0]} -> {sizes[-1]}: time, queries |")
    print("|" + " --- |" * (len(sizes) + 2))
    for name in results[sizes[0]]:
        cells = " | ".join(f"{results[s][name][0]:.1f}, {results[s][name][1]}" for s in sizes)
        (t0, q0), (t1, q1) = results[sizes[0]][name], results[sizes[-1]][name]
        print(f"| {name} | {cells} | {t1 / t0:.1f}x, {q1 / max(q0, 1):.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
