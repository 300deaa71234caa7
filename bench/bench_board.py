"""Board benchmark: render time and queries at 100, 500 and 2,000 cards; move-to-arrival delay.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/bench_board.py [--moves 100]

Prints figures, asserts nothing. Render time is the server's (Django test client, all
middleware, no network), median of repeated requests; the ratio against the 100-card
board of the same run says how it grows. Move-to-arrival: client A posts a move to a
uvicorn server; client B, holding the board's event stream open, hears the hint and
re-fetches the columns; the delay is from A's request to B holding the new columns.
Uses (and creates if missing) lines named bench-100, bench-500 and bench-2000.
"""

from __future__ import annotations

import argparse
import logging
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import free_port  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _own_database() -> None:
    """Run in a database of the benchmark's own: on PostgreSQL one made if missing, else
    a SQLite file of its own (never the demo's database of `make run`)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        (ROOT / "var").mkdir(exist_ok=True)
        own = ROOT / "var" / "bench-board.sqlite3"
        own.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{own}"
        return
    import psycopg

    server = url.rsplit("/", 1)[0]
    dsn = f"{server}/postgres".replace("postgres://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = 'pullboard_bench_board'"
        ).fetchone():
            conn.execute("CREATE DATABASE pullboard_bench_board")
    os.environ["DATABASE_URL"] = f"{server}/pullboard_bench_board"


_own_database()

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from kanban.models import CardStatus, KanbanCard  # noqa: E402
from kanban.services import card_move, loop_create  # noqa: E402
from production.models import Location, Product, ProductionLine  # noqa: E402

SIZES = {100: (10, 10), 500: (25, 20), 2000: (50, 40)}  # cards: (products, cards per loop)
C = CardStatus


def ensure_line(cards: int) -> ProductionLine:
    code = f"bench-{cards}"
    line = ProductionLine.objects.filter(code=code).first()
    if line is not None:
        return line
    products, per_loop = SIZES[cards]
    line = ProductionLine.objects.create(
        code=code, name=f"Bench {cards}", capacity_per_day=Decimal("1000"), wip_limit=100000
    )
    location, _ = Location.objects.get_or_create(code="bench-sm", defaults={"name": "Bench"})
    for i in range(products):
        product = Product.objects.create(
            sku=f"B{cards}-{i:03d}",
            name=f"Bench part {i}",
            line=line,
            supermarket=location,
            container_quantity=Decimal("10"),
            lead_time_days=Decimal("1"),
        )
        loop = loop_create(product=product, card_count=per_loop)
        first, second, third = loop.cards.order_by("number")[:3]
        # A realistic spread: some cards to make, one in work, one open.
        card_move(card_id=first.pk, to=C.EMPTY, actor_id=None)
        card_move(card_id=second.pk, to=C.EMPTY, actor_id=None)
        card_move(card_id=second.pk, to=C.IN_PROCESS, actor_id=None)
        card_move(card_id=third.pk, to=C.IN_USE, actor_id=None)
    return line


def bench_user():  # type: ignore[no-untyped-def]
    user, _ = get_user_model().objects.get_or_create(username="bench-operator")
    user.groups.add(Group.objects.get(name="operator"))
    return user


def render_figures(repeats: int) -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(bench_user())
    client.get("/boards/")
    index_times = []
    for _ in range(repeats):
        start = time.perf_counter()
        client.get("/boards/")
        index_times.append(time.perf_counter() - start)
    print(f"baseline: the boards index page, median {statistics.median(index_times) * 1000:.1f} ms")
    print(f"{'cards':>6} {'page ms':>9} {'columns ms':>11} {'vs 100':>7} {'queries':>8} {'KiB':>6}")
    base = None
    for cards in SIZES:
        line = ensure_line(cards)
        url, columns = f"/boards/{line.code}/", f"/boards/{line.code}/columns/"
        client.get(url)  # warm up
        page_times, column_times = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            page_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            client.get(columns)
            column_times.append(time.perf_counter() - start)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        page, fragment = (
            statistics.median(page_times) * 1000,
            statistics.median(column_times) * 1000,
        )
        base = base or page
        print(
            f"{cards:>6} {page:>9.1f} {fragment:>11.1f} {page / base:>6.1f}x "
            f"{len(queries):>8} {len(response.content) / 1024:>6.0f}"
        )
    print("(growth in cards: 1x, 5x, 20x)")


def move_to_arrival(moves: int) -> None:
    line = ensure_line(100)
    client = Client()
    client.force_login(bench_user())
    session_id = client.cookies["sessionid"].value
    call_command("collectstatic", interactive=False, verbosity=0)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            "2",  # open event streams would otherwise hold the shutdown
        ],
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/login/", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        csrf = "b" * 32
        cookies = {"sessionid": session_id, "csrftoken": csrf}
        arrivals: queue.Queue[tuple[float, str]] = queue.Queue()
        stop = threading.Event()
        ready = threading.Event()

        def watcher() -> None:
            board = requests.Session()
            board.cookies.update(cookies)
            etag = ""
            while not etag and not stop.is_set():  # the server may still be warming up
                etag = board.get(f"{base}/boards/{line.code}/columns/").headers.get("ETag", "")
            with board.get(f"{base}/boards/{line.code}/events/", stream=True, timeout=30) as stream:
                # chunk_size=1: hand each line over as soon as it arrives (no read-ahead wait)
                lines = stream.iter_lines(chunk_size=1, decode_unicode=True)
                try:
                    watch(lines, board, etag)
                except requests.RequestException:
                    if not stop.is_set():  # the server closing the stream at the end is expected
                        raise

        def watch(lines: Iterator[str], board: requests.Session, etag: str) -> None:
            for raw in lines:
                if stop.is_set():
                    return
                if raw.startswith("event: ready"):
                    ready.set()
                if not raw.startswith("event: changed"):
                    continue
                answer = board.get(
                    f"{base}/boards/{line.code}/columns/", headers={"If-None-Match": etag}
                )
                if answer.status_code == 200:
                    etag = answer.headers["ETag"]
                    arrivals.put((time.perf_counter(), etag))

        thread = threading.Thread(target=watcher, daemon=True)
        thread.start()
        if not ready.wait(10):
            print("event stream did not open")
            return
        mover = requests.Session()
        mover.cookies.update(cookies)
        headers = {"X-CSRFToken": csrf, "HX-Request": "true", "Referer": base}
        card = KanbanCard.objects.filter(loop__product__line=line, status=C.FULL).first()
        assert card is not None
        cycle = {C.FULL: C.EMPTY, C.EMPTY: C.IN_PROCESS, C.IN_PROCESS: C.FULL}
        status, version = card.status, card.version
        delays: list[float] = []
        posted: list[float] = []
        for _ in range(moves):
            while not arrivals.empty():
                arrivals.get_nowait()
            to = cycle[status]
            start = time.perf_counter()
            answer = mover.post(
                f"{base}/cards/{card.pk}/move/",
                {"to": to, "version": version},
                headers=headers,
            )
            posted.append(time.perf_counter() - start)
            if answer.status_code != 200:
                print("move refused:", answer.status_code, answer.headers.get("HX-Trigger"))
                return
            new_etag = answer.headers["ETag"]
            deadline = start + 5
            while True:
                arrived, etag = arrivals.get(timeout=max(0.01, deadline - time.perf_counter()))
                if etag == new_etag:
                    delays.append(arrived - start)
                    break
            status = to
            version = KanbanCard.objects.values_list("version", flat=True).get(pk=card.pk)
            time.sleep(0.02)
        stop.set()
        delays.sort()
        p50 = statistics.median(delays) * 1000
        p95 = delays[int(len(delays) * 0.95) - 1] * 1000
        print(
            f"move-to-arrival over {len(delays)} moves: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
            f"max {delays[-1] * 1000:.1f} ms"
        )
        print(
            f"  of which the mover's own request (move + its new columns): "
            f"p50 {statistics.median(posted) * 1000:.1f} ms"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--moves", type=int, default=100)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    call_command("migrate", verbosity=0)
    if connection.vendor != "postgresql":
        print(
            "note: not on PostgreSQL (DATABASE_URL unset); figures are for SQLite (var/bench-board.sqlite3)"
        )
    print(
        "live transport:",
        "Redis pub/sub" if django.conf.settings.LIVE_EVENTS_REDIS_URL else "in-process hub",
    )
    render_figures(args.repeats)
    move_to_arrival(args.moves)


if __name__ == "__main__":
    main()
