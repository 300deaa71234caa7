"""Where live hints travel: Redis pub/sub when configured, else an in-process hub."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncGenerator, Callable, Iterable

from django.conf import settings

from production.redis_clients import redis_for

log = logging.getLogger(__name__)
CHANNEL_PREFIX = "pullboard:line:"

_subscribers: dict[int, set[Callable[[str], None]]] = {}
_lock = threading.Lock()


def publish_many(messages: Iterable[tuple[int, str]]) -> None:
    """Publish (line id, message) pairs; one round trip to Redis for all of them."""
    messages = list(messages)
    if settings.LIVE_EVENTS_REDIS_URL:
        try:
            pipe = redis_for(settings.LIVE_EVENTS_REDIS_URL).pipeline(transaction=False)
            for line_id, message in messages:
                pipe.publish(f"{CHANNEL_PREFIX}{line_id}", message)
            pipe.execute()
        except Exception as exc:  # a lost hint is caught up by the board's polling fallback
            log.warning("live hints for lines %s not published (%s)", [m[0] for m in messages], exc)
        return
    for line_id, message in messages:
        with _lock:
            callbacks = list(_subscribers.get(line_id, ()))
        for callback in callbacks:
            callback(message)


def publish(line_id: int, message: str) -> None:
    publish_many([(line_id, message)])


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
