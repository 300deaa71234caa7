"""One Redis client per process for the hot paths that talk to Redis directly.

Django's Redis cache builds a new client object on every call (cheap connections,
but a few hundred microseconds of Python each time); the demand intake path calls
Redis twice per request (throttle, processing kick), so it keeps one client.
The client's connection pool is safe across a fork (redis-py checks the pid).
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings

_client: Any = None
_lock = threading.Lock()


def shared_redis() -> Any:
    """The process's client for `settings.REDIS_URL`, or None when no Redis is configured."""
    global _client
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    if _client is None:
        with _lock:
            if _client is None:
                import redis
                from redis.backoff import NoBackoff
                from redis.retry import Retry

                # Short timeouts and one immediate retry (a pooled connection that a Redis
                # restart closed): a Redis that is down must not hold an ERP's request for
                # seconds of backoff; the callers carry on without it.
                _client = redis.Redis.from_url(
                    url, socket_timeout=2, socket_connect_timeout=1, retry=Retry(NoBackoff(), 1)
                )
    return _client
