"""One browser session, and one user, may hold only so many live board streams open: past
the limit the stream is refused (429, which stops the board's EventSource; the board then
polls), and a stream that ends gives its slot back."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import AsyncClient
from django.urls import reverse

from kanban.stream import slots as stream_slots
from tests.board.test_live_stream import next_chunk, pump, run_async


@pytest.fixture(params=["redis", "in-process"])
def transport(request: Any, settings: Any) -> str:
    if request.param == "redis":
        if not settings.LIVE_EVENTS_REDIS_URL:
            pytest.skip("no Redis configured (REDIS_URL)")
    else:
        settings.LIVE_EVENTS_REDIS_URL = ""
    settings.PULLBOARD = {
        **settings.PULLBOARD,
        "LIVE_STREAMS_PER_SESSION": 2,
        "LIVE_STREAMS_PER_USER": 3,
    }
    return str(request.param)


class Stream:
    """One open board stream, read through a queue until closed."""

    def __init__(self, response: Any) -> None:
        self.response = response
        self.chunks: asyncio.Queue[Any] = asyncio.Queue()
        self.pumping = asyncio.create_task(pump(aiter(response.streaming_content), self.chunks))

    async def close(self) -> None:
        self.pumping.cancel()
        await asyncio.gather(self.pumping, return_exceptions=True)


async def open_stream(client: AsyncClient, url: str) -> Stream | Any:
    response = await client.get(url)
    if response.status_code != 200:
        return response
    stream = Stream(response)
    assert "event: ready" in await next_chunk(stream.chunks)
    return stream


@pytest.mark.django_db(transaction=True)
def test_streams_past_the_session_and_user_limits_are_refused(transport, operator, plant):
    url = reverse("kanban:board-events", args=["assembly"])

    async def scenario() -> dict[str, Any]:
        tablet, other_tablet = AsyncClient(), AsyncClient()
        await tablet.aforce_login(operator)
        await other_tablet.aforce_login(operator)  # the same login, another session
        opened: list[Stream] = []
        seen: dict[str, Any] = {}
        try:
            for _ in range(2):
                stream = await open_stream(tablet, url)
                assert isinstance(stream, Stream), stream.content
                opened.append(stream)
            third = await open_stream(tablet, url)
            seen["session"] = (third.status_code, third["Retry-After"], third.content.decode())
            # Another session of the same user has its own two, up to the user's three.
            opened.append(await open_stream(other_tablet, url))
            assert isinstance(opened[-1], Stream)
            fourth = await open_stream(other_tablet, url)
            seen["user"] = (fourth.status_code, fourth.content.decode())
            # A stream that ends gives its slot back.
            await opened.pop(0).close()
            again = await open_stream(tablet, url)
            seen["after_close"] = getattr(again, "response", again).status_code
            if isinstance(again, Stream):
                opened.append(again)
            return seen
        finally:
            for stream in opened:
                await stream.close()
            await sync_to_async(connections.close_all)()

    seen = run_async(scenario())
    status, retry_after, text = seen["session"]
    assert status == 429 and int(retry_after) > 0
    assert "2 live boards" in text
    assert seen["user"][0] == 429 and "3 live boards" in seen["user"][1]
    assert seen["after_close"] == 200


def test_a_slot_whose_stream_died_is_free_after_its_lease(settings, monkeypatch):
    """A web process killed with its streams open gives nothing back: the leases run out."""
    settings.LIVE_EVENTS_REDIS_URL = ""
    settings.PULLBOARD = {**settings.PULLBOARD, "LIVE_STREAMS_PER_SESSION": 1}
    now = [1_000_000.0]
    monkeypatch.setattr(stream_slots.time, "time", lambda: now[0])

    async def scenario() -> list[str]:
        first = await stream_slots.acquire("s-dead", 41)
        second = await stream_slots.acquire("s-dead", 41)
        now[0] += stream_slots.LEASE_SECONDS + 1  # never renewed, never released
        third = await stream_slots.acquire("s-dead", 41)
        return [type(first).__name__, type(second).__name__, type(third).__name__]

    assert run_async(scenario()) == ["Slot", "Refused", "Slot"]


def test_many_streams_renewing_and_closing_at_once_wait_for_a_connection(settings, caplog):
    """More streams than Redis connections in the pool, all renewing then closing at once
    (200 boards at the end of a shift): each waits for a connection, none is left behind."""
    import logging

    import redis

    if not settings.LIVE_EVENTS_REDIS_URL:
        pytest.skip("the leases are in process without Redis")
    streams = 160  # past redis-py's own pool limit of 100, and 8 times ours

    async def scenario() -> list[Any]:
        slots = await asyncio.gather(
            *(stream_slots.acquire(f"s-many-{n}", 90_000 + n) for n in range(streams))
        )
        await asyncio.gather(*(stream_slots.renew(slot) for slot in slots))
        await asyncio.gather(*(stream_slots.release(slot) for slot in slots))
        return slots

    with caplog.at_level(logging.WARNING, logger="kanban.stream.slots"):
        slots = run_async(scenario())
    assert all(isinstance(slot, stream_slots.Slot) for slot in slots)
    assert [r.getMessage() for r in caplog.records] == []
    client = redis.Redis.from_url(settings.LIVE_EVENTS_REDIS_URL)
    assert sum(client.zcard(key) for slot in slots for key in slot.keys) == 0
