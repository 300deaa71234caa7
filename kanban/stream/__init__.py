"""Server-sent events for open boards: each change of a line, sent as the swimlanes it changed.

Served by an async view under ASGI (uvicorn), so an open board holds no thread, and no
database connection either: the view checks who asks and which line, gives its
connection back, then only waits. The server stays the source of truth.

One feed per line and web process serves every board of that line the process holds:
one subscription to the line's hints, and one read of the board per change (hints that
arrive meanwhile are folded into the next read), whatever the number of boards. The
feed compares the new read with the last and sends each board

- `lanes`: `{"base", "etag", "head", "lanes": [{"id", "html"}], "wip_over", "order"}`, the
  column heads and the swimlanes that changed from fingerprint `base` to `etag`, and the
  lanes' new order (most urgent first). A board that holds `base` swaps them in and
  reorders its lanes; a board that holds anything else fetches its columns.
- `changed`: `{"line", "kind"}`, when lanes cannot say it (a lane added or removed, the
  line's mode or limits changed, a read that failed): every board fetches its columns.

Under WSGI (the threaded test server, `runserver` without ASGI) the view answers 204,
which tells EventSource not to reconnect: the board's polling carries it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from kanban.ops import BOARD_STREAMS
from kanban.selectors.board import Board, board_change, board_for_line, board_line
from kanban.stream import slots as stream_slots
from production import live_transport
from production.models import ProductionLine
from production.roles import OPERATOR, PLANNER, has_role

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
# Streams end after a while and the browser reconnects (with a catch-up fetch), so
# connections are spread again across web processes after a deploy or a scale-up.
STREAM_LIFETIME_SECONDS = 600.0
RECONNECT_MS = 2000
# A board that reads its stream slower than changes come gets told to fetch instead.
BACKLOG_PER_BOARD = 32


async def board_events(request: HttpRequest, code: str) -> HttpResponseBase:
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse("Log in to follow a board.", status=401, content_type="text/plain")
    if not await sync_to_async(has_role)(user, OPERATOR, PLANNER):
        return HttpResponse("Boards are for operators and planners.", status=403)
    line = await ProductionLine.objects.filter(code=code).only("pk").afirst()
    if line is None:
        return HttpResponse(f"There is no line {code!r}.", status=404)
    if not isinstance(request, ASGIRequest):
        polling = HttpResponse(status=204)
        polling["X-Pullboard-Live"] = "polling (live events need the ASGI server)"
        return polling
    slot = await stream_slots.acquire(request.session.session_key, user.pk)
    if isinstance(slot, stream_slots.Refused):
        return _too_many_streams(slot)
    # The checks are done: give the connection back (to the pool) before waiting. It
    # was opened in this request's thread for database work, so it is closed there.
    await sync_to_async(connections.close_all)()
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    response = StreamingHttpResponse(
        _events(line.pk, slot, language), content_type="text/event-stream; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response


def _too_many_streams(refused: stream_slots.Refused) -> HttpResponse:
    """429: the board's EventSource stops on it, and the board polls and tries again."""
    if refused.scope == "session":
        text = _("This browser has %(limit)d live boards open already, the most it may.")
    else:
        text = _("You have %(limit)d live boards open already, the most one user may.")
    text = (text % {"limit": refused.limit}) + " " + _("Close one to follow this one.")
    response = HttpResponse(text, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(int(stream_slots.LEASE_SECONDS))
    return response


async def _events(
    line_id: int, slot: stream_slots.Slot, language: str = settings.LANGUAGE_CODE
) -> AsyncIterator[str]:
    started = renewed = time.monotonic()
    BOARD_STREAMS.inc()  # the metrics' open streams (kanban/ops.py)
    try:
        async with follow(line_id, language) as changes:
            # Only now, once the feed listens: a board catching up on "ready" misses nothing.
            yield f"retry: {RECONNECT_MS}\nevent: ready\ndata: {line_id}\n\n"
            while time.monotonic() - started <= STREAM_LIFETIME_SECONDS:
                if time.monotonic() - renewed >= HEARTBEAT_SECONDS:
                    renewed = time.monotonic()
                    await stream_slots.renew(slot)
                try:
                    message = await asyncio.wait_for(changes.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if message is None:  # the feed stopped (its hints' transport failed)
                    return
                yield message
    finally:
        BOARD_STREAMS.dec()
        await stream_slots.release(slot)


def _refetch(line_id: int, kind: str) -> str:
    return f"event: changed\ndata: {json.dumps({'line': line_id, 'kind': kind})}\n\n"


class BoardFeed:
    """The hints of one line, turned into one message for all of its boards in this process
    that read one language (the message carries the lanes' HTML, in that language)."""

    def __init__(self, line_id: int, language: str) -> None:
        self.line_id = line_id
        self.language = language
        self.boards: set[asyncio.Queue[str | None]] = set()
        self.listening = asyncio.Event()
        self.dirty = asyncio.Event()
        self.kinds: set[str] = set()
        self.board: Board | None = None
        self.task = asyncio.create_task(self._run(), name=f"board-feed-{line_id}")

    async def _run(self) -> None:
        reading = None
        try:
            async with aclosing(live_transport.listen(self.line_id)) as hints:
                async for hint in hints:
                    if reading is None:  # subscribed: take the first read to compare with
                        reading = asyncio.create_task(self._read_on_change())
                        self.dirty.set()
                        self.listening.set()
                    elif hint is not None:
                        self.kinds.add(_kind_of(hint))
                        self.dirty.set()
        finally:
            if reading is not None:
                reading.cancel()
            for board in self.boards:
                self._offer(board, None)

    async def _read_on_change(self) -> None:
        while True:
            await self.dirty.wait()
            self.dirty.clear()
            kinds, self.kinds = self.kinds, set()
            try:
                self.board, message = await sync_to_async(_read_change, thread_sensitive=False)(
                    self.line_id, self.board, kinds, self.language
                )
            except Exception:  # a board then fetches its columns, as it would poll
                log.exception(
                    "board of line %s not read for its live change",
                    self.line_id,
                    extra={"line_id": self.line_id},
                )
                self.board, message = None, _refetch(self.line_id, "changed")
            if message is not None:
                for board in self.boards:
                    self._offer(board, message)

    def _offer(self, board: asyncio.Queue[str | None], message: str | None) -> None:
        try:
            board.put_nowait(message)
        except asyncio.QueueFull:  # far behind: drop what it has not read; one fetch catches up
            while not board.empty():
                board.get_nowait()
            board.put_nowait(message if message is None else _refetch(self.line_id, "behind"))


def _kind_of(hint: str) -> str:
    try:
        return str(json.loads(hint).get("kind") or "changed")
    except (ValueError, AttributeError):
        return "changed"


def _read_change(
    line_id: int, before: Board | None, kinds: set[str], language: str
) -> tuple[Board | None, str | None]:
    """`_change_message` in a worker thread, in the boards' language; the thread's
    connection goes back right after."""
    try:
        with translation.override(language):
            return _change_message(line_id, before, kinds)
    finally:
        connections.close_all()  # this thread's connection, back to the pool


def _change_message(
    line_id: int, before: Board | None, kinds: set[str]
) -> tuple[Board | None, str | None]:
    """Read the line's board and say what changed since `before` (two queries).

    No message for the first read, unless hints came before it: nothing to compare with.
    """
    line = board_line(pk=line_id)
    after = board_for_line(line) if line is not None else None
    if before is None and not kinds:
        return after, None
    if after is None or before is None:
        return after, _refetch(line_id, "changed")
    change = board_change(before, after)
    if change.full:
        return after, _refetch(line_id, "mode" if "mode" in kinds else "changed")
    payload = {
        "base": change.base,
        "etag": change.etag,
        "head": render_to_string("kanban/_board_head.html", {"board": after}),
        "lanes": [
            {
                "id": lane.product_id,
                "html": render_to_string("kanban/_lane.html", {"board": after, "lane": lane}),
            }
            for lane in change.lanes
        ],
        "wip_over": after.wip_over,
        "order": after.lane_order,
    }
    return after, f"event: lanes\ndata: {json.dumps(payload)}\n\n"


_feeds: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[int, str], BoardFeed]] = (
    weakref.WeakKeyDictionary()
)


@asynccontextmanager
async def follow(
    line_id: int, language: str | None = None
) -> AsyncIterator[asyncio.Queue[str | None]]:
    """The messages for one board of a line, from the line's feed in this process (one
    feed per language the line's open boards read)."""
    key = (line_id, language or settings.LANGUAGE_CODE)
    feeds = _feeds.setdefault(asyncio.get_running_loop(), {})
    feed = feeds.get(key)
    if feed is None or feed.task.done():
        feed = feeds[key] = BoardFeed(*key)
    board: asyncio.Queue[str | None] = asyncio.Queue(maxsize=BACKLOG_PER_BOARD)
    feed.boards.add(board)
    try:
        listening = asyncio.ensure_future(feed.listening.wait())
        await asyncio.wait([listening, feed.task], return_when=asyncio.FIRST_COMPLETED)
        listening.cancel()
        if feed.task.done() and not feed.listening.is_set():
            feed.task.result()  # the transport's error, raised to the stream
        yield board
    finally:
        feed.boards.discard(board)
        if not feed.boards:
            feed.task.cancel()
            if feeds.get(key) is feed:
                del feeds[key]
