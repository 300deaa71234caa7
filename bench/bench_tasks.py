"""Periodic tasks at plant scale: time and queries of each task at two or three plant sizes.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/bench_tasks.py
        [--sizes x10,large] [--repeat 1] [--only SUBSTRING]

Prints figures, asserts nothing. Each size lives in a database of its own
(`pb_plant_SIZE` on the server of DATABASE_URL, the plants bench_scale.py measures; `--prefix`
changes the `pb_plant_`), built by `seed_plant --scale SIZE`
(kanban/plant.py) when missing and reused after: the large plant (2,000 products and loops,
20,000 cards, 5 million demand events) takes minutes to build. Each size is measured in a
child process (one Django per database). Every task body runs as beat would run it, inside
a transaction that is rolled back afterwards, so the plant stays as built and a second run
measures the same work (the tasks that are idempotent per night, shadow comparisons and push
plans, would otherwise find their work done). The table gives, per task, the wall time
(median of `--repeat` runs after one warm-up) and the query count at each size, and the
growth from the smallest size to the largest: the plant grows 10x from demo to x10 and from
x10 to large, so set-based work shows a query ratio of 1 and a time ratio well under 10.
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

from bench.plants import PLANT_PREFIX, ensure_plant, plant_database_url  # noqa: E402

SIZES = ("demo", "x10", "large")


def _forget_tonights_shadow_comparisons() -> None:
    from django.utils import timezone

    from production.comparisons.models import Comparison, ComparisonKind

    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    Comparison.objects.filter(kind=ComparisonKind.SHADOW, created_at__gte=midnight).delete()


def _forget_this_periods_push_plans() -> None:
    from django.utils import timezone

    from production.planning.models import PushPlan
    from production.planning.services.push import period_start_for

    PushPlan.objects.filter(period_start=period_start_for(timezone.localdate())).delete()


def _tasks() -> list[tuple[str, str, Callable[[], Any], Callable[[], Any] | None]]:
    """(name, its period, the task body as beat runs it, what to undo first, untimed).

    Shadow comparisons and push plans are made once per night or period: the plant (or the
    warm-up) may hold tonight's already, and the task would find its work done.
    """
    from kanban.tasks import loops_size_task
    from production.comparisons.tasks import shadow_compare_task
    from production.planning.tasks import forecasts_refresh_task, push_plan_task
    from production.tasks import reconcile_task

    return [
        ("reconciler", "5 min", reconcile_task, None),
        ("loop sizing", "nightly", loops_size_task, None),
        ("forecast refresh", "nightly", forecasts_refresh_task, None),
        ("shadow comparison", "nightly", shadow_compare_task, _forget_tonights_shadow_comparisons),
        ("push planning", "daily", push_plan_task, _forget_this_periods_push_plans),
    ]


# --- The child: one size, one database. ---------------------------------------------------


def measure(repeat: int, only: str) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    def once(task: Callable[[], Any], undo: Callable[[], Any] | None) -> tuple[float, int]:
        with transaction.atomic():
            if undo is not None:
                undo()
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                task()
                elapsed = time.perf_counter() - began
            transaction.set_rollback(True)
        return elapsed, len(captured.captured_queries)

    results: dict[str, Any] = {}
    for name, period, task, undo in _tasks():
        if only and only not in name:
            continue
        try:
            once(task, undo)  # warm-up: caches, the plan cache, the pages PostgreSQL reads
            runs = [once(task, undo) for _ in range(repeat)]
            results[name] = {
                "period": period,
                "s": statistics.median(t for t, _ in runs),
                "queries": runs[-1][1],
            }
        except Exception as exc:  # a broken task is reported, the others still run
            results[name] = {"period": period, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return results


# --- The parent: databases, children, the table. ------------------------------------------


def database_url(size: str, prefix: str) -> str:
    return plant_database_url(size, prefix=prefix, bench="bench_tasks")


def run_child(size: str, args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": database_url(size, args.prefix)}
    command = [sys.executable, __file__, "--child", "--repeat", str(args.repeat)]
    if args.only:
        command += ["--only", args.only]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def report(sizes: list[str], figures: dict[str, dict[str, Any]]) -> None:
    names = list(figures[sizes[0]])
    head = f"{'task':<20} {'period':<8}" + "".join(f" {s + ' s':>9} {'q':>5}" for s in sizes)
    print(head + f"   growth {sizes[0]} -> {sizes[-1]}: time, queries")
    for name in names:
        cells, row = [], figures[sizes[0]][name]
        for size in sizes:
            result = figures[size].get(name, {})
            if "error" in result:
                cells.append(f" {'error':>9} {'':>5}")
            else:
                cells.append(f" {result['s']:>9.2f} {result['queries']:>5}")
        first, last = figures[sizes[0]].get(name, {}), figures[sizes[-1]].get(name, {})
        growth = ""
        if "s" in first and "s" in last:
            growth = f"   x{last['s'] / first['s']:.1f}, x{last['queries'] / first['queries']:.2f}"
        print(f"{name:<20} {row.get('period', ''):<8}" + "".join(cells) + growth)
    for size in sizes:
        for name, result in figures[size].items():
            if "error" in result:
                print(f"  {size} {name}: {result['error']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="x10,large")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", default="")
    parser.add_argument("--prefix", default=PLANT_PREFIX, help="plant databases: PREFIX + size")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if args.child:
        print(json.dumps(measure(args.repeat, args.only)))
        return 0
    sizes = [s for s in args.sizes.split(",") if s]
    if unknown := set(sizes) - set(SIZES):
        sys.exit(f"unknown sizes {sorted(unknown)}; choose from {', '.join(SIZES)}")
    figures = {}
    for size in sizes:
        ensure_plant(database_url(size, args.prefix), size)
        figures[size] = run_child(size, args)
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")
    report(sizes, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
