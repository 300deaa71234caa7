"""How many live board streams one browser session, and one user, may hold open at once.

A stream holds a slot for as long as it is open: a lease, renewed while the stream
lives and given back when it ends, so a web process that dies frees its slots within
`LEASE_SECONDS`. The slots are counted in Redis when live hints go through Redis (every
web process together), else in this process (the embedded profile has one).
Past a limit the stream is refused with 429; the board then polls and tries again.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

# Three heartbeats of the stream: a slot outlives a renewal or two missed under load.
LEASE_SECONDS = 45.0
KEY_PREFIX = "pullboard:streams:"

# KEYS: the session's and the user's sorted sets of slots (score: lease end).
# ARGV: now, lease end, slot, per-session limit, per-user limit, key TTL.
# Drops the slots whose lease ran out; takes one in both if both have room.
ACQUIRE = """
for i = 1, 2 do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', ARGV[1]) end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then return 2 end
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], ARGV[2], ARGV[3])
  redis.call('EXPIRE', KEYS[i], ARGV[6])
end
return 0
"""


def session_limit() -> int:
    return int(settings.PULLBOARD["LIVE_STREAMS_PER_SESSION"])


def user_limit() -> int:
    return int(settings.PULLBOARD["LIVE_STREAMS_PER_USER"])


@dataclass(frozen=True)
class Slot:
    keys: tuple[str, str]
    member: str


@dataclass(frozen=True)
class Refused:
    """Which limit a stream met: `session` or `user`, and its number."""

    scope: str
    limit: int


def _keys(session_key: str | None, user_id: int) -> tuple[str, str]:
    session = f"{KEY_PREFIX}session:{session_key or f'user-{user_id}'}"
    return session, f"{KEY_PREFIX}user:{user_id}"


async def acquire(session_key: str | None, user_id: int) -> Slot | Refused:
    """A slot for one more stream of this session and user, or which limit refuses it."""
    slot = Slot(_keys(session_key, user_id), uuid.uuid4().hex)
    now = time.time()
    limits = (session_limit(), user_limit())
    url = settings.LIVE_EVENTS_REDIS_URL
    if not url:
        outcome = _local.acquire(slot, now, limits)
    else:
        try:
            client = _redis(url)
            outcome = int(
                await client.eval(
                    ACQUIRE, 2, *slot.keys, now, now + LEASE_SECONDS, slot.member,
                    *limits, int(LEASE_SECONDS) + 1,
                )
            )  # fmt: skip
        except Exception as exc:  # Redis down: the stream fails on its own transport anyway
            log.warning("live stream slots not counted, Redis unavailable (%s)", exc)
            return slot
    if outcome == 1:
        return Refused("session", limits[0])
    if outcome == 2:
        return Refused("user", limits[1])
    return slot


async def renew(slot: Slot) -> None:
    until = time.time() + LEASE_SECONDS
    url = settings.LIVE_EVENTS_REDIS_URL
    if not url:
        _local.renew(slot, until)
        return
    try:
        pipe = _redis(url).pipeline(transaction=False)
        for key in slot.keys:
            pipe.zadd(key, {slot.member: until}, xx=True)
            pipe.expire(key, int(LEASE_SECONDS) + 1)
        await pipe.execute()
    except Exception as exc:
        log.warning("live stream slot not renewed (%s)", exc)


async def release(slot: Slot) -> None:
    url = settings.LIVE_EVENTS_REDIS_URL
    if not url:
        _local.release(slot)
        return
    try:
        pipe = _redis(url).pipeline(transaction=False)
        for key in slot.keys:
            pipe.zrem(key, slot.member)
        await pipe.execute()
    except Exception as exc:  # its lease runs out instead
        log.warning("live stream slot not given back (%s)", exc)


class _LocalSlots:
    """The same leases in this process (embedded profile)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[str, dict[str, float]] = {}

    def acquire(self, slot: Slot, now: float, limits: tuple[int, int]) -> int:
        with self._lock:
            held = [self._slots.setdefault(key, {}) for key in slot.keys]
            for leases in held:
                for member, until in list(leases.items()):
                    if until <= now:
                        del leases[member]
            for outcome, (leases, limit) in enumerate(zip(held, limits, strict=True), 1):
                if len(leases) >= limit:
                    return outcome
            for leases in held:
                leases[slot.member] = now + LEASE_SECONDS
            return 0

    def renew(self, slot: Slot, until: float) -> None:
        with self._lock:
            for key in slot.keys:
                if slot.member in self._slots.get(key, {}):
                    self._slots[key][slot.member] = until

    def release(self, slot: Slot) -> None:
        with self._lock:
            for key in slot.keys:
                self._slots.get(key, {}).pop(slot.member, None)


_local = _LocalSlots()
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = (
    weakref.WeakKeyDictionary()
)


# The leases of a process's streams share this many Redis connections: a request waits up to
# POOL_WAIT_SECONDS for one rather than failing. (redis-py's own pool refuses past 100, "Too
# many connections", so 200 boards closing at once left slots behind until their leases ran
# out.)
POOL_CONNECTIONS = 20
POOL_WAIT_SECONDS = 5.0


def _redis(url: str) -> Any:
    """One asyncio Redis client per event loop (a client belongs to the loop it runs on),
    on a bounded pool that waits for a free connection."""
    import redis.asyncio as aioredis

    clients = _clients.setdefault(asyncio.get_running_loop(), {})
    client = clients.get(url)
    if client is None:
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=POOL_CONNECTIONS,
            timeout=POOL_WAIT_SECONDS,
            socket_timeout=2,
            socket_connect_timeout=1,
        )
        client = clients[url] = aioredis.Redis(connection_pool=pool)
    return client
