"""The Redis transport of the Celery broker, with one fix.

When Redis goes away while a worker holds messages (our tasks are `acks_late`),
Celery closes the broken connection, and kombu (5.7) goes on using the channel
whose connection is gone: to give unacknowledged messages back at close, or to
acknowledge a task that finished meanwhile. It then fails with an AttributeError
(`'NoneType' object has no attribute 'hostname'` or `'client'`), which Celery treats
as unrecoverable: the worker stops instead of reconnecting.

Here such a channel raises the connection error kombu and Celery expect from a
broker that is down, and which they handle: the close goes on, the acknowledgement
is logged as failed and the message stays in Redis's unacked index, to be delivered
again after the visibility timeout (every task is idempotent). If Redis itself lost
it (a restart without persistence), the reconciler re-queues the work.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> Any:
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection of this channel is closed")
        return super()._connparams(asynchronous=asynchronous)  # type: ignore[misc]


class Transport(redis.Transport):
    Channel = Channel
