"""The one shape of the ops middleware: usable by WSGI and ASGI servers alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest


class SyncAndAsyncMiddleware:
    """A middleware class that runs in the chain's own mode: `__call__` calls `_acall`
    when the next handler is a coroutine function (under ASGI), so no thread is spent."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        raise NotImplementedError  # each middleware's own
