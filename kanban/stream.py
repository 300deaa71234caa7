"""Server-sent events for open boards: "line X changed" hints, nothing more.

Served by an async view under ASGI (uvicorn), so an open board holds no thread. A
hint tells the board to re-fetch its columns; the server stays the source of truth.
Under WSGI (the threaded test server, `runserver` without ASGI) the view answers
204, which tells EventSource not to reconnect: the board's polling carries it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import aclosing

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from production import live_transport
from production.models import ProductionLine
from production.roles import OPERATOR, PLANNER, has_role

HEARTBEAT_SECONDS = 15.0
# Streams end after a while and the browser reconnects (with a catch-up fetch), so
# connections are spread again across web processes after a deploy or a scale-up.
STREAM_LIFETIME_SECONDS = 600.0
RECONNECT_MS = 2000


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
    response = StreamingHttpResponse(
        _events(line.pk), content_type="text/event-stream; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response


async def _events(line_id: int) -> AsyncIterator[str]:
    started = time.monotonic()
    subscribed = False
    async with aclosing(live_transport.listen(line_id, heartbeat=HEARTBEAT_SECONDS)) as hints:
        async for hint in hints:
            if not subscribed:
                # Only now: a board catching up on "ready" cannot miss a hint in between.
                subscribed = True
                yield f"retry: {RECONNECT_MS}\nevent: ready\ndata: {line_id}\n\n"
            elif hint is None:
                yield ": keep-alive\n\n"
            else:
                yield f"event: changed\ndata: {hint}\n\n"
            if time.monotonic() - started > STREAM_LIFETIME_SECONDS:
                return
