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

                _client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    return _client
