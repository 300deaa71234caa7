"""Where live hints travel: Redis pub/sub when configured, else an in-process hub."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.conf import settings

log = logging.getLogger(__name__)
CHANNEL_PREFIX = "pullboard:line:"

_subscribers: dict[int, set[Callable[[str], None]]] = {}
_lock = threading.Lock()
_redis = None


def _redis_client():  # type: ignore[no-untyped-def]
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(settings.LIVE_EVENTS_REDIS_URL, socket_timeout=2)
    return _redis


def publish(line_id: int, message: str) -> None:
    if settings.LIVE_EVENTS_REDIS_URL:
        try:
            _redis_client().publish(f"{CHANNEL_PREFIX}{line_id}", message)
        except Exception:  # a lost hint is caught up by the board's polling fallback
            log.warning("live hint for line %s not published", line_id, exc_info=True)
        return
    with _lock:
        callbacks = list(_subscribers.get(line_id, ()))
    for callback in callbacks:
        callback(message)


def subscribe_local(line_id: int, callback: Callable[[str], None]) -> Callable[[], None]:
    """In-process subscription (embedded profile). Returns the function that unsubscribes."""
    with _lock:
        _subscribers.setdefault(line_id, set()).add(callback)

    def unsubscribe() -> None:
        with _lock:
            _subscribers.get(line_id, set()).discard(callback)

    return unsubscribe
