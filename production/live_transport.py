"""Where live hints travel: Redis pub/sub when configured, else an in-process hub."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncGenerator, Callable, Iterable

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


def publish_many(messages: Iterable[tuple[int, str]]) -> None:
    """Publish (line id, message) pairs; one round trip to Redis for all of them."""
    messages = list(messages)
    if not settings.LIVE_EVENTS_REDIS_URL:
        for line_id, message in messages:
            publish(line_id, message)
        return
    try:
        pipe = _redis_client().pipeline(transaction=False)
        for line_id, message in messages:
            pipe.publish(f"{CHANNEL_PREFIX}{line_id}", message)
        pipe.execute()
    except Exception:  # a lost hint is caught up by the board's polling fallback
        log.warning(
            "live hints for lines %s not published", [m[0] for m in messages], exc_info=True
        )


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


async def listen(line_id: int, *, heartbeat: float = 15.0) -> AsyncGenerator[str | None, None]:
    """Hints for one line as they arrive; `None` once subscribed, then after each
    `heartbeat` seconds of silence.

    Redis pub/sub when configured (hints from every web process and worker), else the
    in-process hub, bridged from the publishing thread with `call_soon_threadsafe`.
    The caller stops iterating to unsubscribe (the generator cleans up on close).
    """
    if settings.LIVE_EVENTS_REDIS_URL:
        async for message in _listen_redis(line_id, heartbeat):
            yield message
        return
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def deliver(message: str) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, message)

    unsubscribe = subscribe_local(line_id, deliver)
    try:
        yield None
        while True:
            try:
                yield await asyncio.wait_for(queue.get(), timeout=heartbeat)
            except TimeoutError:
                yield None
    finally:
        unsubscribe()


async def _listen_redis(line_id: int, heartbeat: float) -> AsyncGenerator[str | None, None]:
    import redis.asyncio as aioredis

    loop = asyncio.get_running_loop()
    client = aioredis.Redis.from_url(settings.LIVE_EVENTS_REDIS_URL)
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(f"{CHANNEL_PREFIX}{line_id}")
        # Wait for Redis to confirm, so nothing published after "subscribed" is missed.
        while (await pubsub.get_message(timeout=heartbeat) or {}).get("type") != "subscribe":
            pass
        yield None
        quiet_since = loop.time()
        while True:
            message = await pubsub.get_message(timeout=heartbeat)
            if message is not None and message["type"] == "message":
                data = message["data"]
                yield data.decode() if isinstance(data, bytes) else str(data)
                quiet_since = loop.time()
            elif loop.time() - quiet_since >= heartbeat:
                yield None
                quiet_since = loop.time()
    finally:
        await pubsub.aclose()
        await client.aclose()
