"""Fail loudly, saying which service and how to start it, when the tests cannot reach one."""

from __future__ import annotations

import os
import sys

HOW = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": (
        'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" '
        "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"
    ),
}


def main() -> int:
    problems = []
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith("postgres"):
        import psycopg

        try:
            dsn = database_url.replace("postgres://", "postgresql://", 1)
            # Connect to the maintenance database: the test database is made by pytest-django.
            with psycopg.connect(dsn.rsplit("/", 1)[0] + "/postgres", connect_timeout=5):
                pass
        except Exception as exc:
            problems.append(("PostgreSQL", database_url, exc))
    redis_url = os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL", "")
    if redis_url.startswith("redis"):
        import redis

        try:
            redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
        except Exception as exc:
            problems.append(("Redis", redis_url, exc))
    else:
        problems.append(("Redis", "(REDIS_URL not set)", "the integration tests need a broker"))
    for name, url, exc in problems:
        print(f"ERROR: {name} is not reachable at {url}: {exc}", file=sys.stderr)
        print(f"       start it with: {HOW[name]}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
