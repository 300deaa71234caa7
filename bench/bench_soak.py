"""Soak under faults, longer than the suite's: an ERP retrying with idempotency keys while
workers and the web process are killed with `kill -9` and Redis and PostgreSQL restart,
each fault `--rounds` times over about `--minutes`.

Prints, on this machine: the intake rate and request latency before the first fault (the
baseline of the same run), the rate under faults against it, each fault's recovery (to
the first 2xx of a request sent after it) and how long until demand stored after it was
processed, and what the books say after the reconciler ran once. Exits non-zero if a
rule broke (an event lost or applied twice, a key stuck, levels off the ledger).

Everything runs on services of its own (`tests/integration/soak.py`): a private
PostgreSQL cluster (needs `initdb`; run as root it uses a throwaway user `pgtest`), a
private redis-server, two `celery -A config worker` processes and a supervised uvicorn.
The shared PostgreSQL and Redis are never touched.

Run: `.venv/bin/python bench/bench_soak.py [--minutes 5] [--rounds 2]`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

FAULTS = ["worker", "web", "redis", "postgres"]
BOUND_S = 30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the faulted run")
    parser.add_argument("--rounds", type=int, default=2, help="times each fault is injected")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    import django

    django.setup()
    from tests.integration.soak import Soak, SoakUnavailable

    schedule = FAULTS * args.rounds
    gap = args.minutes * 60 / (len(schedule) + 1)
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores shared)", flush=True)
    with tempfile.TemporaryDirectory(prefix="pb-bench-soak-") as workdir:
        try:
            soak = Soak(Path(workdir), seed=args.seed)
        except SoakUnavailable as exc:
            print(f"skipped: {exc}")
            return 0
        try:
            soak.start(workers=2)
            print(
                f"started in {soak.timings['start_s']:.1f} s; {len(schedule)} faults, "
                f"one every {gap:.0f} s",
                flush=True,
            )
            soak.run(schedule, gap=gap, warm_up=gap)
            left = soak.settle()
            problems = soak.problems(bound=BOUND_S)
            figures = soak.figures()
        finally:
            soak.close()
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(json.dumps({k: v for k, v in figures.items() if k != "faults"}, indent=1))
    print(f"{'fault':<10} {'injection s':>12} {'intake back s':>14} {'processing s':>13}")
    for fault in figures["faults"]:
        print(
            f"{fault['fault']:<10} {fault['injection_s']:>12} {fault['recovery_s']!s:>14} "
            f"{fault['processing_s']!s:>13}"
        )
    print(f"unprocessed after the reconciler: {left}")
    print("rules held" if not problems else "RULES BROKEN:\n  " + "\n  ".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
