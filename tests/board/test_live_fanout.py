"""Many boards on one line: one read of the board per change, whatever the number of
boards, and what they are sent is the change itself (the swimlanes it touched)."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import AsyncClient
from django.urls import reverse

from kanban import stream
from kanban.models import CardStatus
from kanban.selectors.board import board_for_line
from kanban.services import card_move
from tests.board.test_live_stream import next_chunk, pump, run_async, transport  # noqa: F401

C = CardStatus
BOARDS = 6


@pytest.mark.django_db(transaction=True)
def test_n_open_boards_cost_one_read_per_change_and_all_get_the_same_lanes(  # type: ignore[no-untyped-def]
    transport,  # noqa: F811
    operator,
    plant,
    monkeypatch,
):
    reads: list[int] = []

    def counted(line, **kwargs):  # type: ignore[no-untyped-def]
        reads.append(line.pk)
        return board_for_line(line, **kwargs)

    monkeypatch.setattr(stream, "board_for_line", counted)
    card = plant.finished_loop.cards.get(number=1)
    url = reverse("kanban:board-events", args=["assembly"])

    async def scenario() -> tuple[list[str], int, int]:
        client = AsyncClient()
        await client.aforce_login(operator)
        queues = []
        pumps = []
        for _ in range(BOARDS):
            response = await client.get(url)
            assert response.status_code == 200
            chunks: asyncio.Queue = asyncio.Queue()  # type: ignore[type-arg]
            pumps.append(asyncio.create_task(pump(aiter(response.streaming_content), chunks)))
            queues.append(chunks)
        try:
            for chunks in queues:
                assert "event: ready" in await next_chunk(chunks)
            await asyncio.sleep(0.3)  # the feed's first read, to compare changes with
            reads_when_open = len(reads)
            await sync_to_async(card_move)(card_id=card.pk, to=C.EMPTY, actor_id=None)
            got = [await next_chunk(chunks) for chunks in queues]
            await asyncio.sleep(0.3)
            return got, reads_when_open, len(reads)
        finally:
            for task in pumps:
                task.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            await sync_to_async(connections.close_all)()

    got, reads_when_open, reads_after_move = run_async(scenario())
    assert reads_when_open == 1  # six boards opened: one read of the board
    assert reads_after_move == 2  # one change: one more read, for all six
    assert len(set(got)) == 1 and got[0].startswith("event: lanes\n")
    change = json.loads(got[0].split("data: ", 1)[1])
    assert [lane["id"] for lane in change["lanes"]] == [plant.finished.pk]
    assert 'id="board-head"' in change["head"]


@pytest.mark.django_db
def test_a_change_is_read_and_rendered_in_a_fixed_number_of_queries(  # type: ignore[no-untyped-def]
    make_line, django_assert_max_num_queries
):
    line, loops = make_line(code="fan", products=12, cards=25)  # 300 cards
    before = board_for_line(line)
    moved = loops[3].cards.get(number=2)
    card_move(card_id=moved.pk, to=C.EMPTY, actor_id=None)
    with django_assert_max_num_queries(2):  # the line, the cards
        after, message = stream._change_message(line.pk, before, {"changed"})
    assert after is not None and after.card_count == 300
    assert message is not None and message.startswith("event: lanes\n")
    change = json.loads(message.split("data: ", 1)[1])
    # Only the lane that changed travels: one product of twelve.
    assert [lane["id"] for lane in change["lanes"]] == [loops[3].product_id]
    assert change["base"] == before.etag and change["etag"] == after.etag


@pytest.mark.django_db
def test_a_change_lanes_cannot_say_tells_boards_to_fetch(make_line):  # type: ignore[no-untyped-def]
    line, _loops = make_line(code="fan2", products=2, cards=3)
    before = board_for_line(line)
    line.wip_limit += 1
    line.save(update_fields=["wip_limit"])
    _after, message = stream._change_message(line.pk, before, {"changed"})
    assert message is not None and message.startswith("event: changed\n")
    assert json.loads(message.split("data: ", 1)[1]) == {"line": line.pk, "kind": "changed"}


@pytest.mark.django_db
def test_boards_fetching_one_version_of_the_columns_cost_one_render(  # type: ignore[no-untyped-def]
    operator_client, make_line, monkeypatch
):
    from kanban import views

    _line, loops = make_line(code="fan3", products=10, cards=30)  # 300 cards
    renders: list[int] = []

    def counted(line, **kwargs):  # type: ignore[no-untyped-def]
        renders.append(line.pk)
        return board_for_line(line, **kwargs)

    monkeypatch.setattr(views.board_selectors, "board_for_line", counted)
    monkeypatch.setattr(views, "rendered_columns", views._RenderedColumns())
    card_move(card_id=loops[0].cards.get(number=1).pk, to=C.EMPTY, actor_id=None)
    url = reverse("kanban:board-columns", args=["fan3"])
    answers = [operator_client.get(url, headers={"Accept-Encoding": "gzip"}) for _ in range(5)]
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.content for answer in answers}) == 1
    assert len(renders) == 1  # five boards, one render
    plain = operator_client.get(url)  # a client without gzip gets the same fragment
    assert b'id="board-columns"' in plain.content and len(renders) == 1
    card_move(card_id=loops[1].cards.get(number=1).pk, to=C.EMPTY, actor_id=None)
    assert operator_client.get(url).status_code == 200
    assert len(renders) == 2  # a new version: rendered again
