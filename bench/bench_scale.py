"""Plant-scale benchmark: every page, fragment, CSV export and API list at three plant sizes.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/bench_scale.py
        [--sizes demo,x10,large] [--repeat 3] [--explain 3] [--only SUBSTRING]
        [--prefix pb_plant_]

Prints figures, asserts nothing. Each size lives in a database of its own (`pb_plant_demo`,
`pb_plant_x10`, `pb_plant_large` on the server of DATABASE_URL; `--prefix` changes the
`pb_plant_`), built by `seed_plant --scale SIZE` when missing and reused after, since the
large one takes minutes. bench/bench_tasks.py times the periodic tasks on the same plants.
Each size is measured in a child process of this script (one Django per database); the parent
prints, per target, the server time (Django test client in process, all middleware, no network;
median of `--repeat` runs after one warm-up) and the query count at each size, and the ratio
large/demo. Then EXPLAIN (ANALYZE, BUFFERS) of the slowest query of the slowest targets at the
largest size.

Targets are named callables in `TARGETS` (pages, fragments, exports, API lists): append one
to measure it at every size.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.plants import PLANT_PREFIX, ensure_plant, plant_database_url  # noqa: E402

SIZES = ("demo", "x10", "large")


@dataclass
class Plant:
    """What the targets need to know of the plant they run on."""

    client: Any
    busy_line: str
    quiet_line: str
    push_line: str
    busy_sku: str
    quiet_sku: str
    component_sku: str
    push_plan: int
    comparison: int
    comparisons: str  # a few comparison ids, comma-separated, for the side-by-side page
    push_order: int


Target = Callable[[Plant], Any]


def page(path: str) -> Target:
    def get(plant: Plant) -> Any:
        response = plant.client.get(path.format(p=plant))
        if response.status_code != 200:
            raise RuntimeError(f"{path.format(p=plant)} answered {response.status_code}")
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        return response

    return get


TARGETS: list[tuple[str, Target]] = [
    ("home /", page("/")),
    ("dashboards /dashboards/", page("/dashboards/")),
    ("line dashboard 28 d", page("/dashboards/lines/{p.busy_line}/?days=28")),
    ("line dashboard 365 d", page("/dashboards/lines/{p.busy_line}/?days=365")),
    *[
        (
            f"line CSV {table} 365 d",
            page(f"/dashboards/lines/{{p.busy_line}}/export/{table}.csv?days=365"),
        )
        for table in ("kpis", "flow", "lead-times", "little", "cards", "ageing")
    ],
    ("comparisons page", page("/dashboards/comparisons/")),
    ("lost cards", page("/cards/lost/")),
    ("boards index", page("/boards/")),
    ("board page (busy line)", page("/boards/{p.busy_line}/")),
    ("board columns fragment", page("/boards/{p.busy_line}/columns/")),
    ("planning: forecasts", page("/planning/forecasts/")),
    ("planning: forecasts, last page", page("/planning/forecasts/?page=last")),
    ("planning: forecast progress fragment", page("/planning/forecasts/progress/")),
    ("planning: a forecast (busy product)", page("/planning/forecasts/{p.busy_sku}/")),
    ("planning: push plans", page("/planning/push/")),
    ("planning: a push plan", page("/planning/push/{p.push_plan}/")),
    ("planning: line mode", page("/planning/lines/{p.push_line}/mode/")),
    ("comparison page", page("/dashboards/comparisons/{p.comparison}/")),
    ("comparison side by side", page("/dashboards/comparisons/side-by-side/?ids={p.comparisons}")),
    *[
        (
            f"comparison CSV {table}",
            page(f"/dashboards/comparisons/{{p.comparison}}/export/{table}.csv"),
        )
        for table in ("metrics", "series")
    ],
    *[
        (f"admin {model}", page(f"/admin/{model}/"))
        for model in (
            "production/demandevent",
            "production/stockmove",
            "production/workorder",
            "production/workorderevent",
            "production/stocklevel",
            "production/product",
            "kanban/kanbancard",
            "kanban/cardevent",
            "kanban/pullsignal",
            "kanban/kanbanloop",
        )
    ],
    ("admin stock moves, search a SKU", page("/admin/production/stockmove/?q={p.quiet_sku}")),
    ("API demand-events", page("/api/v1/demand-events/")),
    ("API demand-events ?line= (busy)", page("/api/v1/demand-events/?line={p.busy_line}")),
    ("API demand-events ?line= (no demand)", page("/api/v1/demand-events/?line={p.quiet_line}")),
    ("API demand-events ?product= (quiet)", page("/api/v1/demand-events/?product={p.quiet_sku}")),
    ("API demand-events ?status=backordered", page("/api/v1/demand-events/?status=backordered")),
    (
        "API demand-events ?occurred_after=",
        page("/api/v1/demand-events/?occurred_after=2000-01-01T00:00:00Z"),
    ),
    ("API stock/", page("/api/v1/stock/")),
    ("API stock/ledger/?product= (quiet)", page("/api/v1/stock/ledger/?product={p.quiet_sku}")),
    (
        "API stock/ledger/?product= (component)",
        page("/api/v1/stock/ledger/?product={p.component_sku}"),
    ),
    ("API stock/ledger/?line=", page("/api/v1/stock/ledger/?line={p.quiet_line}")),
    ("API stock/ledger/?kind=adjustment", page("/api/v1/stock/ledger/?kind=adjustment")),
    ("API work-orders", page("/api/v1/work-orders/")),
    ("API work-orders ?product= (quiet)", page("/api/v1/work-orders/?product={p.quiet_sku}")),
    ("API work-orders ?line= (quiet)", page("/api/v1/work-orders/?line={p.quiet_line}")),
    ("API work-orders ?status=planned", page("/api/v1/work-orders/?status=planned")),
    ("API work-orders ?origin=manual", page("/api/v1/work-orders/?origin=manual")),
    (
        "API work-orders ?created_after=",
        page("/api/v1/work-orders/?created_after=2000-01-01T00:00:00Z"),
    ),
    ("API backorders", page("/api/v1/backorders/")),
    ("API cards", page("/api/v1/cards/")),
    ("API loops", page("/api/v1/loops/")),
    ("API products", page("/api/v1/products/")),
    ("API lines", page("/api/v1/lines/")),
    ("API forecasts", page("/api/v1/forecasts/")),
    ("API forecasts ?page_size=1000", page("/api/v1/forecasts/?page_size=1000")),
    ("API a forecast", page("/api/v1/forecasts/{p.busy_sku}/")),
    ("API forecast-runs", page("/api/v1/forecast-runs/")),
    ("API push-plans", page("/api/v1/push-plans/")),
    ("API a push plan", page("/api/v1/push-plans/{p.push_plan}/")),
    ("API a push order's explanation", page("/api/v1/push-orders/{p.push_order}/explanation/")),
    ("API comparisons", page("/api/v1/comparisons/")),
    ("API comparisons ?line=", page("/api/v1/comparisons/?line={p.busy_line}")),
    ("API a comparison", page("/api/v1/comparisons/{p.comparison}/")),
    (
        "API comparisons side-by-side",
        page("/api/v1/comparisons/side-by-side/?ids={p.comparisons}"),
    ),
]
# The periodic tasks (reconciler, sizing, forecast refresh, shadow comparison, push
# planning) are timed by bench/bench_tasks.py, on the same plant databases.


# --- The child: one size, one database. ---------------------------------------------------


def measure(size: str, repeat: int, only: str) -> dict[str, Any]:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from production.comparisons.models import Comparison
    from production.models import Product, ProductionLine, WorkOrder
    from production.planning.models import PushPlan

    setup_test_environment()  # the test client's host is allowed

    lines = list(ProductionLine.objects.order_by("id"))
    products = Product.objects.order_by("id")
    finished = [p for p in products if p.sku.startswith("FG-")]
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    plant = Plant(
        client=client,
        busy_line=lines[0].code,
        quiet_line=lines[-1].code,
        push_line=next(line.code for line in lines if line.mode == "push"),
        busy_sku=finished[0].sku,
        quiet_sku=finished[-1].sku,
        component_sku=next(p.sku for p in products if p.sku.startswith("CMP-")),
        push_plan=PushPlan.objects.order_by("-period_start", "line__code").values_list(
            "pk", flat=True
        )[0],
        comparison=Comparison.objects.filter(line=lines[0])
        .order_by("-created_at")
        .values_list("pk", flat=True)[0],
        comparisons=",".join(
            str(pk)
            for pk in Comparison.objects.order_by("-created_at").values_list("pk", flat=True)[:4]
        ),
        push_order=WorkOrder.objects.filter(origin="push")
        .order_by("-id")
        .values_list("pk", flat=True)[0],
    )
    results: dict[str, Any] = {}
    for name, target in TARGETS:
        if only and only not in name:
            continue
        try:
            target(plant)  # warm-up
            times, queries = [], []
            for _ in range(repeat):
                reset_queries()
                with CaptureQueriesContext(connection) as captured:
                    began = time.perf_counter()
                    target(plant)
                    times.append(time.perf_counter() - began)
                queries.append(list(captured.captured_queries))
            slowest = max(queries[-1], key=lambda q: float(q["time"]), default=None)
            results[name] = {
                "ms": statistics.median(times) * 1000,
                "queries": len(queries[-1]),
                "slowest_sql": slowest["sql"] if slowest else "",
                "slowest_ms": float(slowest["time"]) * 1000 if slowest else 0.0,
            }
        except Exception as exc:  # a broken target is reported, the others still run
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return results


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


# --- The parent: databases, children, the table. ------------------------------------------


def database_url(size: str, prefix: str) -> str:
    return plant_database_url(size, prefix=prefix, bench="bench_scale")


def run_child(size: str, args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": database_url(size, args.prefix)}
    command = [sys.executable, __file__, "--child", size, "--repeat", str(args.repeat)]
    if args.only:
        command += ["--only", args.only]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def report(
    sizes: list[str], figures: dict[str, dict[str, Any]], explain_top: int, prefix: str
) -> None:
    first, last = sizes[0], sizes[-1]
    head = "".join(f"{size + ' ms':>11}{'q':>5}" for size in sizes)
    print(f"\n{'target':<44}{head}{'  ' + last + '/' + first:>12}")
    names = list(figures[first])
    for name in names:
        cells = ""
        for size in sizes:
            row = figures[size].get(name, {})
            if "error" in row:
                cells += f"{'error':>11}{'':>5}"
            else:
                cells += f"{row.get('ms', float('nan')):>11.1f}{row.get('queries', 0):>5}"
        a, b = figures[first].get(name, {}), figures[last].get(name, {})
        ratio = f"{b['ms'] / a['ms']:>10.1f}x" if "ms" in a and "ms" in b and a["ms"] else ""
        print(f"{name:<44}{cells}  {ratio}")
    for size in sizes:
        for name, row in figures[size].items():
            if "error" in row:
                print(f"  [{size}] {name}: {row['error']}")
    timed = [(row["ms"], name) for name, row in figures[last].items() if "ms" in row]
    over = [name for ms, name in timed if ms >= 300]
    print(f"\nat {last}: {len(over)} of {len(timed)} targets at 300 ms or more: {', '.join(over)}")
    if explain_top:
        os.environ["DATABASE_URL"] = database_url(last, prefix)
        import django

        django.setup()
        for ms, name in sorted(timed, reverse=True)[:explain_top]:
            row = figures[last][name]
            print(f"\n--- {name} at {last}: {ms:.0f} ms; slowest query {row['slowest_ms']:.0f} ms")
            print(row["slowest_sql"][:600])
            try:
                print(explain(row["slowest_sql"]))
            except Exception as exc:
                print(f"(no EXPLAIN: {exc})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(SIZES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--explain", type=int, default=3, help="EXPLAIN the slowest N targets")
    parser.add_argument("--only", default="", help="only targets whose name contains this")
    parser.add_argument("--prefix", default=PLANT_PREFIX, help="plant databases: PREFIX + size")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if args.child:
        import logging

        logging.disable(logging.WARNING)
        print(json.dumps(measure(args.child, args.repeat, args.only)))
        return 0
    sizes = [s for s in args.sizes.split(",") if s]
    figures = {}
    for size in sizes:
        ensure_plant(database_url(size, args.prefix), size)
        began = time.monotonic()
        figures[size] = run_child(size, args)
        print(f"{size}: measured in {time.monotonic() - began:.0f} s", flush=True)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    report(sizes, figures, args.explain, args.prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
