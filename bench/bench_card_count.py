"""Card count benchmark: a count of one line at 500 and 2,000 cards.

For each size: scans one at a time through the service (scans/s), ticks of the rest in
lists of 200, the close (seconds and queries: it is set-based, so its query count does not
grow with the line), and the count page open and closed (server time in process and query
count). Baseline in the same run: a plain `bulk_create` of the same number of counted-card
rows, what the close's own writes cost at least.

Run: `.venv/bin/python bench/bench_card_count.py [--sizes 500,2000] [--scans 200]`.
It uses a database of its own, `pullboard_bench_cardcount` on PostgreSQL (made if missing,
emptied each run; `BENCH_CARDCOUNT_DB`), or a SQLite file under var/ otherwise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _own_database() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        (ROOT / "var").mkdir(exist_ok=True)
        own = ROOT / "var" / "bench-cardcount.sqlite3"
        own.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{own}"
        return
    import psycopg
    from psycopg import sql

    name = os.environ.get("BENCH_CARDCOUNT_DB", "pullboard_bench_cardcount")
    server = url.rsplit("/", 1)[0]
    dsn = f"{server}/postgres".replace("postgres://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["DATABASE_URL"] = f"{server}/{name}"


_own_database()

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from kanban.codes import card_code  # noqa: E402
from kanban.inventory.models import CardCount, CountedCard, Outcome  # noqa: E402
from kanban.inventory.services import (  # noqa: E402
    card_count_close,
    card_count_scan,
    card_count_start,
    card_count_tick,
)
from kanban.models import KanbanCard  # noqa: E402
from kanban.services import loop_create  # noqa: E402
from production.models import Location, Product, ProductionLine  # noqa: E402

CARDS_PER_LOOP = 50


def build_line(code: str, cards: int) -> ProductionLine:
    line = ProductionLine.objects.create(
        code=code, name=code, capacity_per_day=Decimal("1000"), wip_limit=50
    )
    location = Location.objects.create(code=f"sm-{code}", name=f"Supermarket {code}")
    for i in range(cards // CARDS_PER_LOOP):
        product = Product.objects.create(
            sku=f"{code.upper()}-{i:04d}",
            name=f"Part {i}",
            line=line,
            supermarket=location,
            container_quantity=Decimal("10"),
            lead_time_days=Decimal("1"),
        )
        loop_create(product=product, card_count=CARDS_PER_LOOP)
    return line


def page(client: Client, url: str) -> tuple[float, int]:
    times = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(times), len(queries)


def run(size: int, scans: int, client: Client, user_id: int) -> None:
    line = build_line(f"count{size}", size)
    ids = list(
        KanbanCard.objects.filter(loop__product__line=line)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    count = card_count_start(line=line, actor_id=user_id)
    started = time.perf_counter()
    for card_id in ids[:scans]:
        card_count_scan(count_id=count.pk, code=card_code(card_id), actor_id=user_id)
    scan_seconds = time.perf_counter() - started
    ticked = ids[scans : int(len(ids) * 0.9)]  # a tenth stays missing
    started = time.perf_counter()
    for i in range(0, len(ticked), 200):
        card_count_tick(count_id=count.pk, card_ids=ticked[i : i + 200], actor_id=user_id)
    tick_seconds = time.perf_counter() - started
    open_time, open_queries = page(client, f"/cards/counts/{count.pk}/")
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        closed = card_count_close(count_id=count.pk, actor_id=user_id)
        close_seconds = time.perf_counter() - started
    close_queries = len(queries)
    result_time, result_queries = page(client, f"/cards/counts/{count.pk}/")

    # Baseline: the same number of rows written by one plain bulk_create, rolled back.
    other = CardCount.objects.create(location=Location.objects.create(code=f"b{size}", name="b"))
    with transaction.atomic():
        started = time.perf_counter()
        CountedCard.objects.bulk_create(
            CountedCard(count=other, card_id=card_id, outcome=Outcome.MISSING) for card_id in ids
        )
        baseline = time.perf_counter() - started
        transaction.set_rollback(True)

    print(f"\n{size} cards on line {line.code} ({closed.missing_count} left missing)")
    print(f"  scans, one at a time:  {scans / scan_seconds:8.0f} scans/s ({scans} scans)")
    print(f"  ticks, lists of 200:   {len(ticked) / tick_seconds:8.0f} cards/s")
    print(f"  close:                 {close_seconds * 1000:8.1f} ms, {close_queries} queries")
    print(
        f"  bulk_create baseline:  {baseline * 1000:8.1f} ms for {len(ids)} rows "
        f"(close / baseline {close_seconds / baseline:.1f}x)"
    )
    print(f"  count page, open:      {open_time * 1000:8.1f} ms, {open_queries} queries")
    print(f"  count page, result:    {result_time * 1000:8.1f} ms, {result_queries} queries")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000")
    parser.add_argument("--scans", type=int, default=200)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = ["*"]
    user = get_user_model().objects.create_user("bench-planner", password="x")
    user.groups.add(Group.objects.get_or_create(name="planner")[0])
    client = Client()
    client.force_login(user)
    print(f"database: {connection.vendor}")
    for size in (int(s) for s in args.sizes.split(",")):
        run(size, args.scans, client, user.pk)


if __name__ == "__main__":
    main()
