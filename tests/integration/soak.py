"""A soak under faults: the whole of Pullboard on real processes, an ERP retrying, and
`kill -9` and restarts injected while demand flows.

Everything runs on services of the soak's own, so it can kill and restart them: a
private PostgreSQL cluster (initdb as a throwaway user, since initdb refuses root), a
private redis-server, `celery -A config worker` processes consuming every queue, and a
uvicorn web process that the soak restarts whenever it dies, as a supervisor would.
`tests/integration/test_faults_soak.py` runs a short soak; `bench/bench_soak.py` a
longer one that prints the same figures.
"""

from __future__ import annotations

import http.client
import json
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

from tests.integration.conftest import ROOT, RedisServer, Worker, launch_worker
from tests.support import free_port

# A key answered "in use" for this long is stuck (the ERP gives up on it and says so).
KEY_STUCK_AFTER_S = 30
PG_USER = "pgtest"  # initdb refuses root: the cluster belongs to this throwaway user
DATABASE = "pullboard"
INTAKE = "/api/v1/demand-events/"


# The soak's webhook receiver listens on 127.0.0.1, which deliveries refuse by default.
WEBHOOKS_TO_LOOPBACK = {"WEBHOOK_ALLOW_LOOPBACK": "true"}


class SoakUnavailable(Exception):
    """What the soak needs is not on this machine (the reason says what)."""


def _wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes] | None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class PrivatePostgres:
    """A PostgreSQL cluster of the soak's own, on a free port, restartable at will."""

    def __init__(self) -> None:
        bindir = self._bindir()
        self.initdb, self.pg_ctl = bindir / "initdb", bindir / "pg_ctl"
        if not self.initdb.exists():
            raise SoakUnavailable(f"initdb is not in {bindir}: no private PostgreSQL")
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(PG_USER)
            except KeyError:
                subprocess.run(["useradd", "-m", PG_USER], check=True)
            self.as_user = ["runuser", "-u", PG_USER, "--"]
        self.home = Path(tempfile.mkdtemp(prefix="pb-soak-pg-"))
        self.home.chmod(0o755)
        self.data = self.home / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    @staticmethod
    def _bindir() -> Path:
        pg_config = shutil.which("pg_config")
        if pg_config is None:
            raise SoakUnavailable("pg_config is not installed: no private PostgreSQL")
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
        return Path(out.stdout.strip())

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}")

    def _options(self) -> str:
        # A throwaway cluster: no fsync (a clean `restart -m fast` still checkpoints).
        return f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off"

    def start(self) -> None:
        if self.as_user:
            shutil.chown(self.home, PG_USER, PG_USER)
        self._run(str(self.initdb), "-D", str(self.data), "-U", "postgres", "--auth=trust")
        self._run(
            str(self.pg_ctl),
            "-D",
            str(self.data),
            "-o",
            self._options(),
            "-l",
            str(self.home / "log"),
            "-w",
            "start",
        )
        with psycopg.connect(
            f"postgres://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as admin:
            admin.execute(f"CREATE DATABASE {DATABASE}")

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every session is cut, the cluster comes back."""
        self._run(
            str(self.pg_ctl),
            "-D",
            str(self.data),
            "-o",
            self._options(),
            "-l",
            str(self.home / "log"),
            "-m",
            "fast",
            "-w",
            "restart",
        )

    def destroy(self) -> None:
        if self.data.exists():
            subprocess.run(
                [*self.as_user, str(self.pg_ctl), "-D", str(self.data), "-m", "immediate", "stop"],
                capture_output=True,
            )
        shutil.rmtree(self.home, ignore_errors=True)


class WebServer:
    """uvicorn serving `config.asgi:application`, restarted whenever it dies."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)

    def _spawn(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self) -> None:
        self._spawn()
        if not _wait_for_port(self.port, 60, self.process):
            raise RuntimeError(f"uvicorn did not start:\n{self.log.read_text()[-3000:]}")
        self._supervisor.start()

    def _supervise(self) -> None:
        while not self._stopping.wait(0.05):
            if self.process is not None and self.process.poll() is not None:
                self.restarts += 1
                self._spawn()

    def kill_hard(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor.is_alive():
            self._supervisor.join(5)
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill_hard()


# --- The ERP ------------------------------------------------------------------------


@dataclass
class Exchange:
    """One request of the ERP, sent until it got a final (2xx or 4xx) answer."""

    key: str
    body: Any
    items: list[dict[str, Any]]
    attempts: list[int | str] = field(default_factory=list)  # status, or "connection"
    status: int = 0
    answer: Any = None
    sent_at: float = 0.0  # when the attempt that got the final answer was sent
    answered_at: float = 0.0
    in_use_since: float | None = None  # first 409 idempotency_key_in_use
    in_use_for: float = 0.0
    stuck: bool = False


def _post(port: int, token: str, key: str, body: Any) -> tuple[int, dict[str, str], Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request(
            "POST",
            INTAKE,
            body=json.dumps(body),
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            },
        )
        response = connection.getresponse()
        raw = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw.decode(errors="replace")[:200]
        return response.status, headers, data
    finally:
        connection.close()


def _in_use(status: int, data: Any) -> bool:
    return status == 409 and isinstance(data, dict) and data.get("code") == "idempotency_key_in_use"


class Erp(threading.Thread):
    """Posts demand (single events and lists, unique external ids, an Idempotency-Key
    per request) and retries each request until it gets a final answer: connection
    errors, 5xx, 429 and "key in use" are retried after a short back-off."""

    def __init__(self, *, port: Callable[[], int], token: str, skus: list[str], seed: int) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.skus = port, token, skus
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.exchanges: list[Exchange] = []
        self.seen: Counter[int | str] = Counter()
        self.failure: BaseException | None = None
        self.sending_since: float | None = None  # a request is on the wire since then
        self._events = 0

    def _next(self) -> Exchange:
        count = 1 if self.rng.random() < 0.3 else self.rng.randint(2, 20)
        items = []
        for _ in range(count):
            self._events += 1
            items.append(
                {
                    "external_id": f"soak-{self._events}",
                    "source": "erp",
                    "product": self.rng.choice(self.skus),
                    "quantity": self.rng.randint(1, 4),
                }
            )
        body: Any = items[0] if count == 1 and self.rng.random() < 0.5 else items
        return Exchange(key=f"key-{len(self.exchanges) + 1}", body=body, items=items)

    def send(self, exchange: Exchange) -> None:
        backoff = 0.1
        while True:
            sent = self.sending_since = time.monotonic()
            try:
                status, _, data = _post(self.port(), self.token, exchange.key, exchange.body)
            except (OSError, http.client.HTTPException):
                exchange.attempts.append("connection")
                self.seen["connection"] += 1
            else:
                exchange.attempts.append(status)
                self.seen[status] += 1
                if _in_use(status, data) and exchange.in_use_since is None:
                    exchange.in_use_since = sent
                exchange.stuck = (
                    _in_use(status, data)
                    and exchange.in_use_since is not None
                    and sent - exchange.in_use_since > KEY_STUCK_AFTER_S
                )
                final = 200 <= status < 500 and status != 429 and not _in_use(status, data)
                if final or exchange.stuck:
                    exchange.status, exchange.answer = status, data
                    exchange.sent_at, exchange.answered_at = sent, time.monotonic()
                    if exchange.in_use_since is not None:
                        exchange.in_use_for = exchange.answered_at - exchange.in_use_since
                    return
            finally:
                self.sending_since = None
            time.sleep(backoff)
            backoff = min(backoff * 2, 0.5)

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                exchange = self._next()
                self.send(exchange)
                self.exchanges.append(exchange)
                time.sleep(self.rng.uniform(0.0, 0.05))
        except BaseException as exc:  # reported by the soak, never swallowed
            self.failure = exc

    def first_success_after(self, moment: float) -> float | None:
        """When the first request sent after `moment` was answered 2xx."""
        times = [
            e.answered_at for e in self.exchanges if e.sent_at >= moment and 200 <= e.status < 300
        ]
        return min(times) if times else None


# --- The soak ---------------------------------------------------------------------


@dataclass
class Fault:
    name: str
    at: float  # monotonic time it was injected
    took: float  # how long injecting it took (a restart's own duration)
    wall: float  # the same moment by the clock the database stamps events with
    recovery: float | None = None  # injection to the first 2xx of a request sent after it
    processing: float | None = None  # injection to the first event stored after it processed


class Soak:
    """The services, processes and ERP of one soak run, and its checks at the end."""

    def __init__(self, workdir: Path, *, seed: int = 13) -> None:
        self.workdir, self.seed = workdir, seed
        self.postgres = PrivatePostgres()
        self.redis = RedisServer(workdir)
        self.workers: list[Worker] = []
        self.faults: list[Fault] = []
        self.web: WebServer | None = None
        self.erp: Erp | None = None
        self.plant: dict[str, Any] = {}
        self.timings: dict[str, float] = {}
        self.started_at = self.ended_at = 0.0

    # set-up and teardown

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.postgres.url,
            "CELERY_BROKER_URL": self.redis.url,
            "REDIS_URL": self.redis.url,
            "PYTHONUNBUFFERED": "1",
            **WEBHOOKS_TO_LOOPBACK,
        }

    def _manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr[-3000:]}")
        return done.stdout

    def start(self, *, workers: int = 2, webhook_url: str = "") -> None:
        """`webhook_url`: a receiver the ERP subscribes (see `soak_webhooks`)."""
        began = time.monotonic()
        self.postgres.start()
        self.redis.start()
        self._manage("manage.py", "migrate", "--noinput", "-v", "0")
        self.timings["migrate_s"] = time.monotonic() - began
        self.plant = json.loads(
            self._manage("-m", "tests.integration.soak_plant", "seed", webhook_url).splitlines()[-1]
        )
        for _ in range(workers):
            self.start_worker()
        self.web = WebServer(self.env, self.workdir / "web.log")
        self.web.start()
        self.timings["start_s"] = time.monotonic() - began

    def start_worker(self) -> Worker:
        n = len(self.workers)
        worker = launch_worker(
            name=f"soak{n}",
            log=self.workdir / f"worker-{n}.log",
            database_url=self.postgres.url,
            broker_url=self.redis.url,
            redis_url=self.redis.url,
            concurrency=1,
            extra_env=WEBHOOKS_TO_LOOPBACK,
        )
        self.workers.append(worker)
        return worker

    def close(self) -> None:
        if self.erp is not None:
            self.erp.stop.set()
            self.erp.join(30)
        if self.web is not None:
            self.web.stop()
        for worker in self.workers:
            worker.stop()
        self.redis.kill()
        self.postgres.destroy()

    # the run

    def start_erp(self) -> Erp:
        assert self.web is not None
        web = self.web
        self.erp = Erp(
            port=lambda: web.port,
            token=self.plant["token"],
            skus=[p["sku"] for p in self.plant["products"]],
            seed=self.seed,
        )
        self.erp.start()
        return self.erp

    def inject(self, name: str) -> Fault:
        """One fault, while the ERP keeps sending."""
        if name == "web":  # the kill lands mid-request
            assert self.erp is not None
            self._while_a_request_runs(self.erp)
        at, wall = time.monotonic(), time.time()
        if name == "worker":  # kill -9 a worker (and its pool), then start a new one
            alive = [w for w in self.workers if w.process.poll() is None]
            alive[0].kill_hard()
            took = time.monotonic() - at
            self.start_worker()
        elif name == "web":  # kill -9 the web process: its supervisor starts another
            assert self.web is not None
            self.web.kill_hard()
            took = time.monotonic() - at
        elif name == "redis":  # every queued message and flag is gone: no persistence
            self.redis.kill()
            time.sleep(1)
            self.redis.start()
            took = time.monotonic() - at
        elif name == "postgres":
            self.postgres.restart()
            took = time.monotonic() - at
        else:
            raise ValueError(name)
        fault = Fault(name, at, took, wall)
        self.faults.append(fault)
        return fault

    @staticmethod
    def _while_a_request_runs(erp: Erp, *, timeout: float = 5) -> None:
        """Wait until a request has been on the wire a little while: the kill lands mid-request."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            since = erp.sending_since
            if since is not None and time.monotonic() - since > 0.02:
                return
            time.sleep(0.002)

    def measure_recovery(self, fault: Fault, *, timeout: float = 60) -> None:
        assert self.erp is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.erp.failure:
            answered = self.erp.first_success_after(fault.at)
            if answered is not None:
                fault.recovery = answered - fault.at
                return
            time.sleep(0.05)

    def run(self, schedule: list[str], *, gap: float, warm_up: float = 3.0) -> None:
        """Send demand throughout; inject each fault of `schedule` `gap` seconds apart.

        The `warm_up` before the first fault is the baseline the figures compare with."""
        erp = self.start_erp()
        deadline = time.monotonic() + 60
        while len(erp.exchanges) < 20 and time.monotonic() < deadline:  # a warm web process
            time.sleep(0.05)
        self.started_at = time.monotonic()
        time.sleep(warm_up)
        for name in schedule:
            fault = self.inject(name)
            self.measure_recovery(fault)
            time.sleep(max(0.0, gap - (time.monotonic() - fault.at)))
        erp.stop.set()
        erp.join(60)
        self.ended_at = time.monotonic()
        if erp.failure is not None:
            raise erp.failure

    def settle(self, *, timeout: float = 180) -> int:
        """Run the reconciler once, then wait for the backlog to drain; returns what is left."""
        began = time.monotonic()
        self.reconcile_report = json.loads(
            self._manage("-m", "tests.integration.soak_plant", "reconcile").splitlines()[-1]
        )
        deadline = time.monotonic() + timeout
        left = self.unprocessed()
        while left and time.monotonic() < deadline:
            time.sleep(0.5)
            left = self.unprocessed()
        self.timings["settle_s"] = time.monotonic() - began
        self._measure_processing()
        return left

    def deliver(self) -> dict[str, Any]:
        """Run the webhook sweep until nothing is pending; what the deliveries ended as."""
        began = time.monotonic()
        report = json.loads(
            self._manage("-m", "tests.integration.soak_plant", "deliver").splitlines()[-1]
        )
        self.timings["deliver_s"] = time.monotonic() - began
        return dict(report)

    def _measure_processing(self) -> None:
        """For each fault, how long until an event stored after it was processed."""
        from production.models import DemandEvent

        with self.database() as db:
            for fault in self.faults:
                row = db.execute(
                    f"SELECT extract(epoch FROM min(processed_at)) FROM "
                    f"{DemandEvent._meta.db_table} WHERE created_at > to_timestamp(%s)",
                    [fault.wall],
                ).fetchone()
                if row is not None and row[0] is not None:
                    fault.processing = float(row[0]) - fault.wall

    # what the books say

    @contextmanager
    def database(self) -> Iterator[psycopg.Connection[Any]]:
        with psycopg.connect(self.postgres.url, autocommit=True) as connection:
            yield connection

    def unprocessed(self) -> int:
        from production.models import DemandEvent

        with self.database() as db:
            row = db.execute(
                f"SELECT count(*) FROM {DemandEvent._meta.db_table} WHERE processed_at IS NULL"
            ).fetchone()
        assert row is not None
        return int(row[0])

    def books(self) -> dict[str, Any]:
        """Per product, and for the whole, what the database holds after the soak."""
        from kanban.models import KanbanCard, KanbanLoop, PullSignal
        from production.models import DemandEvent, Product, StockLevel, StockMove, WorkOrder

        demand, product = DemandEvent._meta.db_table, Product._meta.db_table
        moves, levels = StockMove._meta.db_table, StockLevel._meta.db_table
        cards, loops = KanbanCard._meta.db_table, KanbanLoop._meta.db_table
        signals, orders = PullSignal._meta.db_table, WorkOrder._meta.db_table

        def per_sku(db: psycopg.Connection[Any], sql: str) -> dict[str, Any]:
            return dict(db.execute(sql).fetchall())

        with self.database() as db:
            events = db.execute(
                f"SELECT e.external_id, p.sku, e.quantity FROM {demand} e "
                f"JOIN {product} p ON p.id = e.product_id WHERE e.source = 'erp'"
            ).fetchall()
            return {
                "events": Counter(external_id for external_id, _, _ in events),
                "event_rows": {external_id: (sku, qty) for external_id, sku, qty in events},
                "unprocessed": self.unprocessed(),
                "levels_off_ledger": db.execute(
                    f"SELECT l.product_id, l.on_hand, (SELECT coalesce(sum(m.quantity), 0) "
                    f"FROM {moves} m WHERE m.product_id = l.product_id "
                    f"AND m.location_id = l.location_id) AS ledger FROM {levels} l"
                ).fetchall(),
                "consumed": per_sku(
                    db,
                    f"SELECT p.sku, -sum(m.quantity) FROM {moves} m JOIN {product} p "
                    f"ON p.id = m.product_id WHERE m.kind = 'consumption' GROUP BY p.sku",
                ),
                "backordered": per_sku(
                    db,
                    f"SELECT p.sku, sum(e.backordered_quantity) FROM {demand} e "
                    f"JOIN {product} p ON p.id = e.product_id GROUP BY p.sku",
                ),
                "signals": per_sku(
                    db,
                    f"SELECT p.sku, count(*) FROM {signals} s JOIN {cards} c ON c.id = s.card_id "
                    f"JOIN {loops} l ON l.id = c.loop_id JOIN {product} p ON p.id = l.product_id "
                    f"GROUP BY p.sku",
                ),
                "empty_cards": per_sku(
                    db,
                    f"SELECT p.sku, count(*) FROM {cards} c JOIN {loops} l ON l.id = c.loop_id "
                    f"JOIN {product} p ON p.id = l.product_id WHERE c.status = 'empty' "
                    f"GROUP BY p.sku",
                ),
                "work_orders": per_sku(
                    db,
                    f"SELECT p.sku, count(*) FROM {orders} w JOIN {product} p "
                    f"ON p.id = w.product_id GROUP BY p.sku",
                ),
                "cards_with_two_open_signals": db.execute(
                    f"SELECT card_id, count(*) FROM {signals} WHERE fulfilled_at IS NULL "
                    f"GROUP BY card_id HAVING count(*) > 1"
                ).fetchall(),
            }

    def expected(self) -> dict[str, dict[str, Any]]:
        """What the accepted demand implies, per product (no stock is received meanwhile)."""
        assert self.erp is not None
        demanded: Counter[str] = Counter()
        for exchange in self.erp.exchanges:
            if 200 <= exchange.status < 300:
                for item in exchange.items:
                    demanded[item["product"]] += item["quantity"]
        out = {}
        for product in self.plant["products"]:
            container = Decimal(product["container"])
            stock = container * product["cards"]
            total = Decimal(demanded[product["sku"]])
            consumed = min(total, stock)
            out[product["sku"]] = {
                "consumed": consumed,
                "backordered": total - consumed,
                "emptied": int(consumed // container),
            }
        return out

    def problems(self, *, bound: float) -> list[str]:
        """Every way the soak's outcome breaks a rule; empty when all held.

        `bound`: seconds within which intake must answer again, and processing resume,
        after each fault, and the longest a key may answer "in use"."""
        assert self.erp is not None
        exchanges = self.erp.exchanges
        found = [
            f"key stuck 'in use' over {KEY_STUCK_AFTER_S} s: {e.key}" for e in exchanges if e.stuck
        ]
        found += [
            f"refused: {e.key} {e.status} {str(e.answer)[:200]}"
            for e in exchanges
            if e.status >= 400 and not e.stuck
        ]
        longest = max((e.in_use_for for e in exchanges), default=0.0)
        if longest >= bound:
            found.append(f"a key answered 'in use' for {longest:.1f} s")
        for fault in self.faults:
            if fault.recovery is None or fault.recovery >= bound:
                found.append(f"intake after {fault.name}: {fault.recovery} s")
            if fault.processing is None or fault.processing >= bound:
                found.append(f"processing after {fault.name}: {fault.processing} s")
        books = self.books()
        sent = {item["external_id"] for e in exchanges if 200 <= e.status < 300 for item in e.items}
        stored = books["events"]
        if lost := sent - set(stored):
            found.append(f"{len(lost)} accepted events not stored, e.g. {sorted(lost)[:5]}")
        if extra := set(stored) - sent:
            found.append(f"{len(extra)} events stored that were not accepted: {sorted(extra)[:5]}")
        if twice := [external_id for external_id, n in stored.items() if n > 1]:
            found.append(f"stored more than once: {twice[:5]}")
        if books["unprocessed"]:
            found.append(f"{books['unprocessed']} events unprocessed after the reconciler ran")
        found += [
            f"level of product {product_id}: {on_hand}, ledger {ledger}"
            for product_id, on_hand, ledger in books["levels_off_ledger"]
            if on_hand != ledger or on_hand < 0
        ]
        for sku, want in self.expected().items():
            got = {
                "consumed": books["consumed"].get(sku, 0),
                "backordered": books["backordered"].get(sku, 0),
                "emptied": books["signals"].get(sku, 0),
            }
            if got != want:
                found.append(f"{sku}: expected {want}, found {got} (consumption, signals)")
            if (
                not books["empty_cards"].get(sku, 0)
                == books["work_orders"].get(sku, 0)
                == want["emptied"]
            ):
                found.append(f"{sku}: empty cards or work orders differ from {want['emptied']}")
        found += [f"card {c} has {n} open signals" for c, n in books["cards_with_two_open_signals"]]
        found += [f"not replayed: {wrong}" for wrong in self.replay_every_key()]
        return found

    def replay_every_key(self) -> list[str]:
        """Send every request again with its key: each must get its stored answer back."""
        assert self.erp is not None and self.web is not None
        wrong = []
        for exchange in self.erp.exchanges:
            status, headers, data = _post(
                self.web.port, self.plant["token"], exchange.key, exchange.body
            )
            if (status, data) != (exchange.status, exchange.answer) or headers.get(
                "idempotent-replayed"
            ) != "true":
                wrong.append(f"{exchange.key}: {status} {str(data)[:200]}")
        return wrong

    def figures(self) -> dict[str, Any]:
        assert self.erp is not None and self.web is not None
        exchanges = self.erp.exchanges
        first_fault = min((f.at for f in self.faults), default=self.ended_at)

        def rate(since: float, until: float) -> float:
            events = sum(
                len(e.items)
                for e in exchanges
                if since <= e.answered_at < until and 200 <= e.status < 300
            )
            return round(events / max(until - since, 1e-9), 1)

        calm = sorted(
            e.answered_at - e.sent_at
            for e in exchanges
            if e.sent_at >= self.started_at and e.answered_at < first_fault
        ) or [0.0]
        baseline_rate = rate(self.started_at, first_fault)
        faulted_rate = rate(first_fault, self.ended_at)
        return {
            "baseline_events_per_s": baseline_rate,
            "baseline_request_p50_ms": round(1000 * calm[len(calm) // 2], 1),
            "baseline_request_p99_ms": round(1000 * calm[int(len(calm) * 0.99)], 1),
            "under_faults_events_per_s": faulted_rate,
            "under_faults_vs_baseline": round(faulted_rate / max(baseline_rate, 1e-9), 2),
            "requests": len(exchanges),
            "events": sum(len(e.items) for e in exchanges),
            "attempts_by_answer": dict(sorted(self.erp.seen.items(), key=str)),
            "retried_requests": sum(1 for e in exchanges if len(e.attempts) > 1),
            "longest_key_in_use_s": round(max((e.in_use_for for e in exchanges), default=0), 2),
            "stuck_keys": sum(1 for e in exchanges if e.stuck),
            "web_restarts": self.web.restarts,
            "workers_started": len(self.workers),
            "faults": [
                {
                    "fault": f.name,
                    "injection_s": round(f.took, 2),
                    "recovery_s": None if f.recovery is None else round(f.recovery, 2),
                    "processing_s": None if f.processing is None else round(f.processing, 2),
                }
                for f in self.faults
            ],
            **{k: round(v, 1) for k, v in self.timings.items()},
        }
