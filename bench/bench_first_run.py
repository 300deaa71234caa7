"""`make run`'s start: seconds from starting its server (`python -m config.serve`) to
"Pullboard on http://..." (printed once it listens), on a fresh SQLite file and then again
on the same file (the second `make run`), with the load average.

The baseline, in the same run, is the bare import of the app (`python -c "import
config.asgi"`): what any Django process costs before it does anything. The old `make run`
started four such processes (migrate, collectstatic, seed_demo, uvicorn).

    .venv/bin/python bench/bench_first_run.py
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _env(tmp: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SECRET_KEY")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _import_seconds(tmp: Path) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-c", "import config.asgi"],
        cwd=ROOT,
        env=_env(tmp, 0),
        check=True,
        capture_output=True,
    )
    return time.monotonic() - started


def _start_seconds(tmp: Path) -> float:
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "config.serve"],
        cwd=ROOT,
        env=_env(tmp, _free_port()),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "Pullboard on http://" in line:
                return time.monotonic() - started
        raise SystemExit("the server stopped before it listened")
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores shared)")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        baseline = _import_seconds(tmp)
        first = _start_seconds(tmp)
        second = _start_seconds(tmp)
        baseline_again = _import_seconds(tmp)
    base = (baseline + baseline_again) / 2
    print(f"baseline, one bare import of the app: {base:.1f} s")
    print(f"first make run (migrate, demo plant, serve): {first:.1f} s ({first / base:.1f}x)")
    print(f"second make run (nothing to do but serve): {second:.1f} s ({second / base:.1f}x)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
