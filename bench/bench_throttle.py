"""The intake throttle's Redis script: what counting events (weights) costs per request.

Runs, on the Redis of REDIS_URL (keys under `bench:throttle:`, deleted after), the
weighted sliding window of `production.api.throttling` against the request-counting
script it replaced (kept here as the baseline), each measured in the same run: per-call
time (median of alternating rounds) with a window already holding 1,000 and 50,000
requests (growth between sizes), for a request of cost 1 and of cost 1,000 (a list of
1,000 demand events).

    DATABASE_URL=... REDIS_URL=redis://127.0.0.1:6379/3 DJANGO_SECRET_KEY=x \\
        .venv/bin/python bench/bench_throttle.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from production.api.throttling import SLIDING_WINDOW  # noqa: E402
from production.redis_clients import shared_redis  # noqa: E402

# The script before events were counted: one member per request, a count of members.
COUNTING = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  return nil
end
return redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
"""
CALLS = 500
ROUNDS = 7
LIMIT = 10**9  # always admitted: the cost of the common case
WINDOW = 3600


def fill(client, key: str, size: int, weighted: bool) -> None:  # type: ignore[no-untyped-def]
    now = time.time()
    members = {
        (f"{now:.6f}:{n:08x}|1" if weighted else f"{now:.6f}:{n:08x}"): now - n * 1e-3
        for n in range(size)
    }
    pipe = client.pipeline(transaction=False)
    for start in range(0, size, 10_000):
        chunk = dict(list(members.items())[start : start + 10_000])
        pipe.zadd(key, chunk)
    if weighted:
        pipe.set(f"{key}:used", size)
    pipe.execute()


def per_call_us(client, script, weighted: bool, size: int, cost: int) -> float:  # type: ignore[no-untyped-def]
    key = f"bench:throttle:{uuid.uuid4().hex}"
    fill(client, key, size, weighted)
    try:
        began = time.perf_counter()
        for _ in range(CALLS):
            now = time.time()
            member = f"{now:.6f}:{uuid.uuid4().hex[:8]}"
            if weighted:
                script(
                    keys=[key, f"{key}:used"],
                    args=[f"{now:.6f}", WINDOW, LIMIT, cost, f"{member}|{cost}", WINDOW + 1],
                )
            else:
                script(keys=[key], args=[now, WINDOW, LIMIT, member, WINDOW + 1])
        return (time.perf_counter() - began) / CALLS * 1e6
    finally:
        client.delete(key, f"{key}:used")


def main() -> None:
    client = shared_redis()
    if client is None:
        sys.exit("REDIS_URL is not set: this measures the Redis script.")
    counting, weighted = client.register_script(COUNTING), client.register_script(SLIDING_WINDOW)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{ROUNDS} alternating rounds of {CALLS} admitted calls per script, median per call; "
        "one client, round trip included"
    )
    print(f"{'requests in window':>18} {'counting µs':>12} {'weighted µs':>12} {'ratio':>6}"
          f" {'cost 1000 µs':>13}")  # fmt: skip
    for size in (1_000, 50_000):
        runs: dict[str, list[float]] = {"base": [], "new": [], "big": []}
        for _ in range(ROUNDS):  # alternated, so load from elsewhere falls on all three
            runs["base"].append(per_call_us(client, counting, False, size, 1))
            runs["new"].append(per_call_us(client, weighted, True, size, 1))
            runs["big"].append(per_call_us(client, weighted, True, size, 1000))
        base, new, big = (statistics.median(runs[k]) for k in ("base", "new", "big"))
        print(f"{size:>18,} {base:>12.1f} {new:>12.1f} {new / base:>6.2f} {big:>13.1f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
