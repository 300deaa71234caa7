"""Real processes for the integration path: a private Redis broker and Celery workers.

The broker is a `redis-server` of the test's own, on a free loopback port, so a test can
kill and restart it without touching anything else. Workers are `celery -A config worker`
processes reading the test database, so tests here commit (`transaction=True`).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app as celery_app
from tests.support import free_port, subprocess_database_url

ROOT = Path(__file__).resolve().parents[2]


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: the integration tests need it (README)")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        pytest.fail("the test's redis-server did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    previous = celery_app.conf.broker_url
    _use_broker(server.url)
    yield server
    _use_broker(previous)
    server.kill()


def _use_broker(url: str) -> None:
    """Point the test process's Celery app at `url`, dropping connections to another."""
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


class Worker:
    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    def kill_hard(self) -> None:
        """`kill -9` the worker and its pool processes, mid-whatever."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill_hard()


def launch_worker(
    *,
    name: str,
    log: Path,
    database_url: str,
    broker_url: str,
    redis_url: str | None = None,
    concurrency: int = 2,
    batch_size: int | None = None,
    queues: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> Worker:
    """Start one `celery -A config worker` and wait until it is ready.

    Without `queues` (`-Q a,b`) the worker consumes every queue of the settings.
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "PYTHONUNBUFFERED": "1",
    }
    if batch_size:
        env["PULLBOARD_DEMAND_BATCH_SIZE"] = str(batch_size)
    if redis_url:  # flags, throttle and live hints on this Redis too (else the suite's)
        env["REDIS_URL"] = redis_url
    env.update(extra_env or {})
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            str(concurrency),
            "--pool",
            "prefork",
            "--without-mingle",
            "--without-gossip",
            "--hostname",
            f"{name}@%h",
            *(["-Q", queues] if queues else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = Worker(process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if b" ready." in log.read_bytes():
            return worker
        if process.poll() is not None:
            pytest.fail(f"celery worker exited:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    worker.kill_hard()
    pytest.fail(f"celery worker not ready in 60 s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def start_worker(
    broker: RedisServer, tmp_path: Path, transactional_db: None
) -> Iterator[Callable[..., Worker]]:
    """Start `celery -A config worker` processes against the test database and broker."""
    workers: list[Worker] = []
    connection.close()  # the worker must not inherit anything of ours

    def start(
        *,
        concurrency: int = 2,
        batch_size: int | None = None,
        redis_url: str | None = None,
        queues: str | None = None,
    ) -> Worker:
        """Without `queues` (`-Q a,b`) the worker consumes every queue of the settings."""
        worker = launch_worker(
            name=f"test{len(workers)}",
            log=tmp_path / f"worker-{len(workers)}.log",
            database_url=subprocess_database_url(),
            broker_url=broker.url,
            redis_url=redis_url,
            concurrency=concurrency,
            batch_size=batch_size,
            queues=queues,
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for(condition: Callable[[], bool], *, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what or condition}")


# The supplier -> warehouse -> line-side chain (test_supply_chain_worker.py).
from tests.supply_chain import chain  # noqa: E402, F401
