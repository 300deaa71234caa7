"""One Redis client per process and URL, for the paths that talk to Redis directly.

Django's Redis cache builds a new client object on every call (cheap connections,
but a few hundred microseconds of Python each time); the demand intake path calls
Redis twice per request (throttle, processing kick), so it keeps one client.
The client's connection pool is safe across a fork (redis-py checks the pid).
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def redis_for(url: str) -> Any:
    """The process's client for `url`, made on first use."""
    client = _clients.get(url)
    if client is None:
        with _lock:
            client = _clients.get(url)
            if client is None:
                import redis
                from redis.backoff import NoBackoff
                from redis.retry import Retry

                # Short timeouts and one immediate retry (a pooled connection that a Redis
                # restart closed): a Redis that is down must not hold an ERP's request for
                # seconds of backoff; the callers carry on without it.
                client = _clients[url] = redis.Redis.from_url(
                    url, socket_timeout=2, socket_connect_timeout=1, retry=Retry(NoBackoff(), 1)
                )
    return client


def shared_redis() -> Any:
    """The client for `settings.REDIS_URL`, or None when no Redis is configured."""
    url = getattr(settings, "REDIS_URL", "")
    return redis_for(url) if url else None
