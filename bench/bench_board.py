"""Board benchmark: render time and queries by board size; move-to-arrival delay; fan-out.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/bench_board.py \
        [--moves 100] [--fanout 50,200] [--fanout-seconds 60] [--only-fanout] [--only-first-card]

(in the database `BENCH_BOARD_DB`, default pullboard_bench_board, made if missing)

Prints figures, asserts nothing. Render time is the server's (Django test client, all
middleware, no network), median of repeated requests; the ratio against the 100-card
board of the same run says how it grows. Move-to-arrival: client A posts a move to a
uvicorn server; client B, holding the board's event stream open, swaps in the change it
is sent (or fetches the columns when it cannot); the delay is from A's request to B
holding the new board.

Fan-out: 50 and 200 boards (asyncio clients behaving as board.js: the stream, the
catch-up fetch on "ready", changes applied when they follow on, a fetch otherwise) open
on one 1,000-card line served by one uvicorn process, and a move a second. It prints
moves delivered / expected (a board has a move once it holds that board version or a
later one), p50 / p95 / max move-to-arrival, the server's CPU (share of one core, from
/proc), the PostgreSQL connections the server held (by application name) and the Redis
subscriptions to the line's channel, both at their peak, and how many fetches the boards
made and changes they applied in place. Many boards on the shared PostgreSQL: before
the pool, 50 boards held about 150 connections, so run the fan-out against a private
server (see the recipes) when comparing with code that has no pool.
Uses (and creates if missing) lines named bench-100, bench-500, bench-1000 and bench-2000.

What to make first: the render of a 2,000-card line whose lanes are mostly quiet (45 of 50
products with nothing to make, so folded: bench-2000q) beside bench-2000 (every lane has
work), and, in Chromium on a touch tablet (1280 x 800) against the uvicorn server, the time
from navigation until the first card to make is drawn, where it is (px from the top, on
the first screen or not) and how many screens the page is tall; the baseline is the time
until the boards index draws its first line, in the same run (`--only-first-card` runs
just the renders and this).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

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
    from psycopg import sql

    name = os.environ.get("BENCH_BOARD_DB", "pullboard_bench_board")
    server = url.rsplit("/", 1)[0]
    dsn = f"{server}/postgres".replace("postgres://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["DATABASE_URL"] = f"{server}/{name}"


_own_database()

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from asgiref.sync import sync_to_async  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from kanban.models import CardStatus, KanbanCard  # noqa: E402
from kanban.services import card_move, loop_create  # noqa: E402
from production.models import Location, Product, ProductionLine  # noqa: E402

SIZES = {
    100: (10, 10),
    500: (25, 20),
    1000: (40, 25),
    2000: (50, 40),
}  # cards: (products, cards per loop)
QUIET_LINE = "bench-2000q"  # 50 products x 40 cards; only QUIET_BUSY of them have work
QUIET_BUSY = 5
C = CardStatus


def ensure_line(cards: int) -> ProductionLine:
    code = f"bench-{cards}"
    line = ProductionLine.objects.filter(code=code).first()
    if line is not None:
        return line
    with transaction.atomic():  # a run stopped half-way leaves no half-built line
        return _build_line(code, cards)


def ensure_quiet_line() -> ProductionLine:
    line = ProductionLine.objects.filter(code=QUIET_LINE).first()
    if line is not None:
        return line
    with transaction.atomic():
        return _build_line(QUIET_LINE, 2000, busy=QUIET_BUSY)


def _build_line(code: str, cards: int, *, busy: int | None = None) -> ProductionLine:
    products, per_loop = SIZES[cards]
    line = ProductionLine.objects.create(
        code=code, name=f"Bench {cards}", capacity_per_day=Decimal("1000"), wip_limit=100000
    )
    location, _ = Location.objects.get_or_create(code="bench-sm", defaults={"name": "Bench"})
    for i in range(products):
        product = Product.objects.create(
            sku=f"B{cards}{'q' if busy is not None else ''}-{i:03d}",
            name=f"Bench part {i}",
            line=line,
            supermarket=location,
            container_quantity=Decimal("10"),
            lead_time_days=Decimal("1"),
        )
        loop = loop_create(product=product, card_count=per_loop)
        if busy is not None and i % (products // busy):  # a quiet lane: every card full
            continue
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
    quiet = ensure_quiet_line()
    url = f"/boards/{quiet.code}/"
    client.get(url)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
    html = response.content.decode()
    folded, lanes = html.count(' quiet collapsed"'), html.count('id="lane-section-')
    page = statistics.median(times) * 1000
    print(
        f"{quiet.code} (2,000 cards, {folded} of {lanes} lanes folded): page {page:.1f} ms, "
        f"{page / base:.1f}x the 100-card page, {len(response.content) / 1024:.0f} KiB"
    )


def first_card_figures(repeats: int) -> None:
    """In Chromium on a touch tablet: until the first card to make is drawn, and where."""
    import shutil

    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_ARGS

    lines = [ensure_line(2000).code, ensure_quiet_line().code]
    cookie = session_cookie()
    executable = shutil.which("chromium")
    if executable is None:
        print("first card to make: skipped (no chromium on the PATH)")
        return
    with asgi_server("pb-bench-board-first") as (base, _pid), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(has_touch=True, viewport={"width": 1280, "height": 800})
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
        page = context.new_page()

        def drawn(url: str, selector: str) -> tuple[float, dict[str, float], float]:
            page.goto(base + url, wait_until="commit")
            first = page.wait_for_selector(selector, state="visible", timeout=60000)
            at = page.evaluate("performance.now()")
            box = first.bounding_box() or {"y": -1.0}
            return at, box, page.evaluate("document.documentElement.scrollHeight / 800")

        index = [drawn("/boards/", ".board-link")[0] for _ in range(repeats)]
        index_ms = statistics.median(index)
        print(f"baseline: the boards index draws its first line after {index_ms:.0f} ms")
        print(
            f"{'line':>12} {'first card to make ms':>22} {'vs index':>9} {'y px':>6} {'screens':>8}"
        )
        for code in lines:
            runs = [
                drawn(f"/boards/{code}/", ".cell[data-status=empty] .card") for _ in range(repeats)
            ]
            ms = statistics.median(run[0] for run in runs)
            y, screens = runs[-1][1]["y"], runs[-1][2]
            where = "first screen" if 0 <= y < 800 else "below"
            print(
                f"{code:>12} {ms:>22.0f} {ms / index_ms:>8.1f}x {y:>6.0f} {screens:>8.1f}  {where}"
            )
        browser.close()


@contextmanager
def asgi_server(app_name: str = "pb-bench-board-web") -> Iterator[tuple[str, int]]:
    """uvicorn serving the app (one process, as `make run`); yields its URL and pid.

    Its PostgreSQL connections carry `app_name` (libpq's PGAPPNAME), so they can be counted.
    """
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
        env={**os.environ, "PGAPPNAME": app_name},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # Django starts slowly on a busy machine
        while True:
            try:
                requests.get(f"{base}/login/", timeout=5)
                break
            except requests.RequestException:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("uvicorn did not start") from None
                time.sleep(0.2)
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=10)


def session_cookie() -> str:
    client = Client()
    client.force_login(bench_user())
    return client.cookies["sessionid"].value


def move_to_arrival(moves: int) -> None:
    line = ensure_line(100)
    session_id = session_cookie()
    with asgi_server() as (base, _pid):
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
                etag = etag.removeprefix("W/").strip('"')
            with board.get(f"{base}/boards/{line.code}/events/", stream=True, timeout=30) as stream:
                # Each event comes as one HTTP chunk, handed over as it arrives (a change is
                # tens of KiB: read byte by byte, it took the client itself hundreds of ms).
                lines = stream.iter_lines(chunk_size=65536, decode_unicode=True)
                try:
                    watch(lines, board, etag)
                except requests.RequestException:
                    if not stop.is_set():  # the server closing the stream at the end is expected
                        raise

        def watch(lines: Iterator[str], board: requests.Session, etag: str) -> None:
            event = ""
            for raw in lines:
                if stop.is_set():
                    return
                if raw.startswith("event: "):
                    event = raw[7:]
                    if event == "ready":
                        ready.set()
                    continue
                if not raw.startswith("data: ") or event not in ("changed", "lanes"):
                    continue
                if event == "lanes":  # as board.js: swap the lanes in when they apply
                    change = json.loads(raw[6:])
                    if change["etag"] == etag:
                        continue
                    if change["base"] == etag:
                        etag = change["etag"]
                        arrivals.put((time.perf_counter(), etag))
                        continue
                answer = board.get(
                    f"{base}/boards/{line.code}/columns/", headers={"If-None-Match": f'"{etag}"'}
                )
                if answer.status_code == 200:
                    etag = answer.headers["ETag"].removeprefix("W/").strip('"')
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
            new_etag = answer.headers["ETag"].removeprefix("W/").strip('"')
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


# --- fan-out: many boards open on one line, a move a second --------------------------


async def _http_get(
    host: str, port: int, path: str, headers: dict[str, str]
) -> tuple[int, dict[str, str], int]:
    """A browser-like GET (gzip accepted, not unpacked): status, headers, body size."""
    reader, writer = await asyncio.open_connection(host, port)
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    answer = {}
    for header in header_lines:
        name, _, value = header.partition(":")
        answer[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), answer, len(body)


async def _sse_events(
    reader: asyncio.StreamReader,
) -> AsyncIterator[tuple[str, str]]:
    """(event, data) pairs from a chunked text/event-stream answer."""
    while True:  # the answer's headers
        if (await reader.readline()) in (b"\r\n", b""):
            break
    pending = b""
    while True:
        size_line = await reader.readline()
        if not size_line:
            return
        size = int(size_line.strip() or b"0", 16)
        if size == 0:
            return
        pending += await reader.readexactly(size)
        await reader.readexactly(2)
        while b"\n\n" in pending:
            block, pending = pending.split(b"\n\n", 1)
            event, data = "message", []
            for line in block.decode().split("\n"):
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
            yield event, "\n".join(data)


class FanoutBoard:
    """One open board as board.js runs it: the event stream, and the columns fetched
    when a hint says the board is behind (a "changed" hint, or a change whose base is
    not what the board holds); a change that applies moves the board on in place."""

    def __init__(self, host: str, port: int, code: str, cookie: str) -> None:
        self.host, self.port, self.code = host, port, code
        self.headers = {"Cookie": cookie, "Accept-Encoding": "gzip", "Accept": "*/*"}
        self.etag = ""
        self.seen: list[tuple[float, str]] = []  # (when, fingerprint held from then on)
        self.ready = asyncio.Event()
        self.fetches = 0
        self.applied = 0
        self._fetching = False
        self._again = False
        self.pending: list[dict[str, Any]] = []

    def hold(self, etag: str) -> None:
        if etag and etag != self.etag:
            self.etag = etag
            self.seen.append((time.perf_counter(), etag))

    async def fetch(self) -> None:
        if self._fetching:
            self._again = True
            return
        self._fetching = True
        try:
            while True:
                self._again = False
                headers = {**self.headers, "If-None-Match": f'"{self.etag}"'}
                status, answer, _ = await _http_get(
                    self.host, self.port, f"/boards/{self.code}/columns/", headers
                )
                self.fetches += 1
                if status == 200:
                    self.hold(answer.get("etag", "").removeprefix("W/").strip('"'))
                # As board.js: the changes that came meanwhile, applied if they follow on.
                pending, self.pending = self.pending, []
                behind = False
                for change in pending:
                    behind = behind or not self.apply(change)
                if not (self._again or behind):
                    return
        finally:
            self._fetching = False

    def apply(self, change: dict[str, Any]) -> bool:
        if change["etag"] == self.etag:
            return True
        if change["base"] != self.etag:
            return False
        self.applied += 1
        self.hold(change["etag"])
        return True

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        request = [
            f"GET /boards/{self.code}/events/ HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Cookie: {self.headers['Cookie']}",
            "Accept: text/event-stream",
        ]
        writer.write(("\r\n".join(request) + "\r\n\r\n").encode())
        await writer.drain()
        tasks: set[asyncio.Task[None]] = set()

        def spawn(coroutine: Any) -> None:
            task = asyncio.create_task(coroutine)
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        try:
            async for event, data in _sse_events(reader):
                if event == "ready":
                    await self.fetch()  # board.js catches up on "ready"
                    self.ready.set()
                elif event == "changed":
                    spawn(self.fetch())
                elif event == "lanes":
                    change = json.loads(data)
                    if self._fetching:
                        self.pending.append(change)
                    elif not self.apply(change):
                        spawn(self.fetch())
        finally:
            writer.close()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _connections_held(app_name: str, channel: str) -> tuple[int, int]:
    """PostgreSQL connections of the server (by application name); Redis connections
    subscribed to the line's channel."""
    import redis

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [app_name]
        )
        pg = cursor.fetchone()[0]
    url = django.conf.settings.LIVE_EVENTS_REDIS_URL
    subscribed = redis.Redis.from_url(url).pubsub_numsub(channel)[0][1] if url else 0
    return int(pg), int(subscribed)


def fanout(clients_counts: list[int], seconds: int) -> None:
    from production.live_transport import CHANNEL_PREFIX

    line = ensure_line(1000)
    cookie = f"sessionid={session_cookie()}; csrftoken={'b' * 32}"
    print(
        f"fan-out: boards open on {line.code} ({KanbanCard.objects.filter(loop__product__line=line).count()} "
        f"cards), one move a second for {seconds} s, one uvicorn process"
    )
    print(
        f"{'boards':>6} {'delivered':>14} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
        f"{'server CPU':>10} {'PG conns':>8} {'Redis subs':>10} {'fetches':>8} {'applied':>8} "
        f"{'client CPU':>10}"
    )
    app_name = "pb-bench-board-fanout"
    for count in clients_counts:
        with asgi_server(app_name) as (base, pid):
            figures = asyncio.run(
                _fanout_run(base, pid, line, cookie, count, seconds, app_name, CHANNEL_PREFIX)
            )
        print(figures)


async def _fanout_run(
    base: str,
    pid: int,
    line: ProductionLine,
    cookie: str,
    count: int,
    seconds: int,
    app_name: str,
    channel_prefix: str,
) -> str:
    host, port = "127.0.0.1", int(base.rsplit(":", 1)[1])
    boards = [FanoutBoard(host, port, line.code, cookie) for _ in range(count)]
    runs = []
    for board in boards:  # open them a few at a time, as a shift's tablets would
        runs.append(asyncio.create_task(board.run()))
        await asyncio.sleep(0.01)
    await asyncio.wait_for(asyncio.gather(*(b.ready.wait() for b in boards)), 300)
    await asyncio.sleep(1)
    cards = await sync_to_async(_cards_to_cycle)(line, 20)
    cycle = {C.FULL: C.EMPTY, C.EMPTY: C.IN_PROCESS, C.IN_PROCESS: C.FULL}
    mover_headers = {
        "Cookie": cookie,
        "X-CSRFToken": "b" * 32,
        "HX-Request": "true",
        "Referer": base,
        "Accept-Encoding": "gzip",
    }
    moves: list[tuple[float, str]] = []  # (posted at, fingerprint after the move)
    held: list[tuple[int, int]] = []
    cpu_start, wall_start = _cpu_seconds(pid), time.perf_counter()
    clients_start = time.process_time()
    for second in range(seconds):
        due = wall_start + second
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        card = cards[second % len(cards)]
        to = cycle[card["status"]]
        body = f"to={to}&version={card['version']}"
        posted = time.perf_counter()
        status, answer = await _http_post(
            host, port, f"/cards/{card['id']}/move/", body, mover_headers
        )
        if status != 200:
            print(f"  move refused: {status} {answer.get('hx-trigger')}")
            break
        card["status"], card["version"] = to, card["version"] + 1
        moves.append((posted, answer["etag"].removeprefix("W/").strip('"')))
        if second % 5 == 2:
            held.append(
                await sync_to_async(_connections_held)(app_name, f"{channel_prefix}{line.pk}")
            )
    await asyncio.sleep(3)  # the last move's arrivals
    wall = time.perf_counter() - wall_start
    cpu = (_cpu_seconds(pid) - cpu_start) / wall
    clients_cpu = (time.process_time() - clients_start) / wall
    for run in runs:
        run.cancel()
    await asyncio.gather(*runs, return_exceptions=True)
    delays, delivered = _arrivals(moves, boards)
    expected = len(moves) * count
    delays.sort()
    p50 = statistics.median(delays) * 1000 if delays else float("nan")
    p95 = delays[max(0, int(len(delays) * 0.95) - 1)] * 1000 if delays else float("nan")
    peak = delays[-1] * 1000 if delays else float("nan")
    pg = max((h[0] for h in held), default=0)
    subs = max((h[1] for h in held), default=0)
    return (
        f"{count:>6} {f'{delivered}/{expected}':>14} {p50:>8.0f} {p95:>8.0f} {peak:>8.0f} "
        f"{cpu * 100:>9.0f}% {pg:>8} {subs:>10} {sum(b.fetches for b in boards):>8} "
        f"{sum(b.applied for b in boards):>8} {clients_cpu * 100:>10.0f}%"
    )


def _arrivals(moves: list[tuple[float, str]], boards: list[FanoutBoard]) -> tuple[list[float], int]:
    """A move has arrived on a board once the board holds its fingerprint or a later one."""
    index = {etag: k for k, (_, etag) in enumerate(moves)}
    delays: list[float] = []
    delivered = 0
    for board in boards:
        reached = -1
        for when, etag in board.seen:
            k = index.get(etag)
            if k is None or k <= reached:
                continue
            for j in range(reached + 1, k + 1):
                delays.append(max(0.0, when - moves[j][0]))
                delivered += 1
            reached = k
    return delays, delivered


def _cards_to_cycle(line: ProductionLine, count: int) -> list[dict[str, Any]]:
    """Full cards of different products, to be moved round full -> empty -> in process."""
    cards = []
    seen_products: set[int] = set()
    for card in KanbanCard.objects.filter(loop__product__line=line, status=C.FULL).order_by("id"):
        if card.loop.product_id not in seen_products:
            seen_products.add(card.loop.product_id)
            cards.append({"id": card.pk, "status": card.status, "version": card.version})
        if len(cards) == count:
            break
    return cards


async def _http_post(
    host: str, port: int, path: str, body: str, headers: dict[str, str]
) -> tuple[int, dict[str, str]]:
    reader, writer = await asyncio.open_connection(host, port)
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Connection: close",
        "Content-Type: application/x-www-form-urlencoded",
        f"Content-Length: {len(body)}",
    ]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n" + body).encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head = raw.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    answer = {}
    for header in head[1:]:
        name, _, value = header.partition(":")
        answer[name.strip().lower()] = value.strip()
    return int(head[0].split()[1]), answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--moves", type=int, default=100)
    parser.add_argument("--fanout", default="50,200", help="board counts ('' skips the run)")
    parser.add_argument("--fanout-seconds", type=int, default=60)
    parser.add_argument("--only-fanout", action="store_true")
    parser.add_argument("--only-first-card", action="store_true")
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
    if args.only_first_card:
        render_figures(args.repeats)
        first_card_figures(max(3, args.repeats // 3))
        return
    if not args.only_fanout:
        render_figures(args.repeats)
        first_card_figures(max(3, args.repeats // 3))
        move_to_arrival(args.moves)
    if args.fanout:
        fanout([int(n) for n in args.fanout.split(",")], args.fanout_seconds)


if __name__ == "__main__":
    main()
