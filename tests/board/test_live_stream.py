"""Live hints: a change on a line reaches every open board's event stream.

Run for both transports: Redis pub/sub (the services profile, across processes) and the
in-process hub (the embedded profile).
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import AsyncClient
from django.urls import reverse

from kanban.models import CardStatus
from kanban.services import card_move
from production import live_transport
from tests.factories import UserFactory

C = CardStatus


@pytest.fixture(params=["redis", "in-process"])
def transport(request, settings):  # type: ignore[no-untyped-def]
    if request.param == "redis":
        if not settings.LIVE_EVENTS_REDIS_URL:
            pytest.skip("no Redis configured (REDIS_URL)")
    else:
        settings.LIVE_EVENTS_REDIS_URL = ""
    return request.param


def run_async(coroutine):  # type: ignore[no-untyped-def]
    """asyncio.run in a thread of its own: the browser tests leave an event loop running
    in the main thread (Playwright's), where asyncio.run would refuse to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def next_chunk(chunks: asyncio.Queue, timeout: float = 5.0) -> str:  # type: ignore[type-arg]
    # Read through a queue: cancelling a pending anext() would end the stream itself.
    chunk = await asyncio.wait_for(chunks.get(), timeout)
    return chunk.decode() if isinstance(chunk, bytes) else chunk


async def pump(stream, queue: asyncio.Queue) -> None:  # type: ignore[no-untyped-def,type-arg]
    async for chunk in stream:
        await queue.put(chunk)


@pytest.mark.django_db(transaction=True)
def test_a_move_reaches_an_open_board_stream(transport, operator, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    url = reverse("kanban:board-events", args=["assembly"])

    async def scenario() -> tuple[str, str, str]:
        client = AsyncClient()
        await client.aforce_login(operator)
        response = await client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/event-stream")
        stream = aiter(response.streaming_content)
        chunks: asyncio.Queue = asyncio.Queue()  # type: ignore[type-arg]
        pumping = asyncio.create_task(pump(stream, chunks))
        try:
            ready = await next_chunk(chunks)
            await sync_to_async(card_move)(card_id=card.pk, to=C.EMPTY, actor_id=None)
            hint = await next_chunk(chunks)
            while True:  # one commit may send a few hints for the line (card, work order)
                try:
                    await next_chunk(chunks, timeout=0.5)
                except TimeoutError:
                    break
            # A change on another line does not wake this board.
            other = plant.component_loop.cards.get
            other_card = await sync_to_async(other)(number=1)
            await sync_to_async(card_move)(card_id=other_card.pk, to=C.EMPTY, actor_id=None)
            with pytest.raises(TimeoutError):
                await next_chunk(chunks, timeout=0.5)
            return ready, hint, ""
        finally:
            pumping.cancel()
            await asyncio.gather(pumping, return_exceptions=True)
            await sync_to_async(connections.close_all)()

    ready, hint, _ = run_async(scenario())
    assert "event: ready" in ready and "retry:" in ready
    # The change itself: the swimlane of the moved card, with the card now to make.
    assert hint.startswith("event: lanes\ndata: ")
    change = json.loads(hint.split("data: ", 1)[1])
    assert change["base"] != change["etag"]
    assert [lane["id"] for lane in change["lanes"]] == [plant.finished.pk]
    empty_cell = change["lanes"][0]["html"].split('data-status="empty"', 1)[1].split("</ul>")[0]
    assert f'id="card-{card.pk}"' in empty_cell


def test_listen_sends_keepalives_and_unsubscribes_when_closed(settings):  # type: ignore[no-untyped-def]
    settings.LIVE_EVENTS_REDIS_URL = ""

    async def scenario() -> list[str | None]:
        got = []
        stream = live_transport.listen(987, heartbeat=0.05)
        got.append(await anext(stream))  # subscribed
        got.append(await anext(stream))  # silence: a keep-alive
        live_transport.publish(987, "hello")
        got.append(await anext(stream))
        await stream.aclose()
        return got

    assert run_async(scenario()) == [None, None, "hello"]
    assert not live_transport._subscribers.get(987)


@pytest.mark.django_db
def test_the_stream_needs_a_board_role(client, plant):  # type: ignore[no-untyped-def]
    url = reverse("kanban:board-events", args=["assembly"])
    assert client.get(url).status_code == 401
    client.force_login(UserFactory(username="erp3", roles=["integration"]))
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_under_wsgi_the_stream_tells_the_board_to_poll(operator_client, plant):  # type: ignore[no-untyped-def]
    response = operator_client.get(reverse("kanban:board-events", args=["assembly"]))
    assert response.status_code == 204  # EventSource stops; the 15 s polling carries the board
