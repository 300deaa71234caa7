"""Master data import: a 2,000-product plant (lines, locations, suppliers, products, BOM
lines, loops with their opening stock) from one XLSX workbook, through the services, as
`import_masterdata --commit` does it; then the same workbook again (every row unchanged).
`--preview` times a dry run first.

The baseline, in the same run: a plain `bulk_create` of the same rows (no checks, no
services, no cards or ledger), rolled back. It prints rows/s of each, their ratio, the
query count of the import and the load average.

    DATABASE_URL=postgres://... python bench/bench_import.py [--products 2000]

It creates (and drops) its own database `pullboard_bench_import` (BENCH_IMPORT_DB).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pullboard")
if not SERVER.startswith("postgres"):
    sys.exit("bench_import needs PostgreSQL (DATABASE_URL=postgres://...).")
SERVER = SERVER.rsplit("/", 1)[0]
BENCH_DB = os.environ.get("BENCH_IMPORT_DB", "pullboard_bench_import")
os.environ.update(DATABASE_URL=f"{SERVER}/{BENCH_DB}", DJANGO_SETTINGS_MODULE="config.settings")

LINES, LOCATIONS, SUPPLIERS, CARDS, BOM_PER_PARENT = 10, 20, 5, 3, 3


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(
        f"{SERVER}/postgres".replace("postgres://", "postgresql://", 1), autocommit=True
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def plant_rows(products: int) -> dict[str, list[list[Any]]]:
    """A quarter of the products are finished goods with three components each."""
    parents = products // 4
    rows: dict[str, list[list[Any]]] = {
        "lines": [[f"line-{i}", f"Line {i}", "400", "8"] for i in range(LINES)],
        "locations": [[f"sm-{i}", f"Supermarket {i}", "supermarket"] for i in range(LOCATIONS)],
        "suppliers": [
            [f"sup-{i}", f"Supplier {i}", "5", f"orders@sup{i}.example"] for i in range(SUPPLIERS)
        ],
        "products": [
            [
                f"P-{n:05d}",
                f"Part {n}",
                "pcs",
                f"line-{n % LINES}",
                f"sm-{n % LOCATIONS}",
                "10",
                "2",
            ]
            for n in range(products)
        ],
        "bom": [
            [
                f"P-{p:05d}",
                f"P-{parents + (p * BOM_PER_PARENT + k) % (products - parents):05d}",
                "2",
            ]
            for p in range(parents)
            for k in range(BOM_PER_PARENT)
        ],
        "loops": [
            [f"P-{n:05d}", f"sm-{n % LOCATIONS}", "10", str(CARDS), "0.2"] for n in range(products)
        ],
    }
    return rows


def workbook(rows: dict[str, list[list[Any]]]) -> bytes:
    import tablib

    from production.masterdata.files import workbook_bytes
    from production.masterdata.kinds import kinds

    return workbook_bytes(
        {
            name: tablib.Dataset(*rows[name], headers=resource.columns())
            for name, resource in kinds().items()
        }
    )


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def timed_import(data: bytes, *, dry_run: bool) -> tuple[float, int, Any]:
    from django.db import connection

    from production.masterdata.files import read_workbook
    from production.masterdata.services import masterdata_import

    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        report = masterdata_import(sheets=read_workbook(data), dry_run=dry_run)
    return time.perf_counter() - started, counter.count, report


def bulk_baseline(rows: dict[str, list[list[Any]]]) -> float:
    """The same rows by plain `bulk_create`, in one transaction, rolled back."""
    from django.db import transaction

    from kanban.models import KanbanLoop
    from production.models import BomLine, Location, Product, ProductionLine
    from production.supply.models import Supplier

    started = time.perf_counter()
    with transaction.atomic():
        line_of = {
            r.code: r
            for r in ProductionLine.objects.bulk_create(
                ProductionLine(code=c, name=n, capacity_per_day=Decimal(k), wip_limit=int(w))
                for c, n, k, w in rows["lines"]
            )
        }
        locations = {
            r.code: r
            for r in Location.objects.bulk_create(
                Location(code=c, name=n, kind=k) for c, n, k in rows["locations"]
            )
        }
        Supplier.objects.bulk_create(
            Supplier(code=c, name=n, lead_time_days=Decimal(t), email=e)
            for c, n, t, e in rows["suppliers"]
        )
        products = {
            p.sku: p
            for p in Product.objects.bulk_create(
                Product(
                    sku=s,
                    name=n,
                    unit=u,
                    line=line_of[li],
                    supermarket=locations[sm],
                    container_quantity=Decimal(c),
                    lead_time_days=Decimal(t),
                )
                for s, n, u, li, sm, c, t in rows["products"]
            )
        }
        BomLine.objects.bulk_create(
            BomLine(parent=products[p], component=products[c], quantity=Decimal(q))
            for p, c, q in rows["bom"]
        )
        KanbanLoop.objects.bulk_create(
            KanbanLoop(
                product=products[p],
                location=locations[lo],
                container_quantity=Decimal(c),
                safety_factor=Decimal(a),
            )
            for p, lo, c, _, a in rows["loops"]
        )
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument(
        "--preview",
        action="store_true",
        help="time a dry run first (it costs what the import does)",
    )
    args = parser.parse_args()
    recreate_database()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    rows = plant_rows(args.products)
    total = sum(len(r) for r in rows.values())
    data = workbook(rows)
    print(f"load average at the start: {os.getloadavg()[0]:.2f} (1 min)")
    print(
        f"workbook: {len(data) / 1e6:.1f} MB, {total} rows "
        + ", ".join(f"{len(r)} {name}" for name, r in rows.items())
    )

    baseline = bulk_baseline(rows)
    print(f"bulk_create of the same rows: {baseline:.2f} s, {total / baseline:,.0f} rows/s")

    if args.preview:
        dry, dry_queries, report = timed_import(data, dry_run=True)
        assert not report.has_errors, [r for s in report.sheets for r in s.rows if r.errors][:3]
        print(f"dry run (preview): {dry:.1f} s, {total / dry:,.0f} rows/s, {dry_queries} queries")

    seconds, queries, report = timed_import(data, dry_run=False)
    assert report.applied
    print(
        f"import --commit: {seconds:.1f} s, {total / seconds:,.0f} rows/s, {queries} queries "
        f"({queries / total:.1f} a row); bulk_create is {seconds / baseline:.0f}x faster"
    )

    again, again_queries, report = timed_import(data, dry_run=False)
    unchanged = sum(s.count("unchanged") for s in report.sheets)
    print(
        f"the same workbook again: {again:.1f} s, {total / again:,.0f} rows/s, "
        f"{again_queries} queries, {unchanged} of {total} rows unchanged"
    )
    from kanban.models import KanbanCard
    from production.models import StockMove

    print(f"booked: {KanbanCard.objects.count()} cards, {StockMove.objects.count()} ledger moves")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
