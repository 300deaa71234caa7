"""What every log line says about its context, and the request id that follows a request
into the Celery tasks it queues.

django-guid keeps the request id (X-Request-ID) in a context variable for the request;
`before_task_publish` copies it into the task message's headers and `task_prerun` sets it
again in the worker, so the task's lines carry the id of the request that queued it. A
task run in process (the embedded profile, `task_always_eager`) keeps the id it runs
under. Beat's own tasks get an id of their own.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from celery import signals
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import SimpleLazyObject, empty
from django_guid import clear_guid, get_guid, set_guid

from production.ops.middleware import SyncAndAsyncMiddleware

REQUEST_ID_HEADER = "request_id"  # in a task message's headers

_request: ContextVar[HttpRequest | None] = ContextVar("pullboard_log_request", default=None)
_task: ContextVar[tuple[str, str] | None] = ContextVar("pullboard_log_task", default=None)
# Set by code that works on one line or product (`log_subject`), for its log lines.
_subject: ContextVar[dict[str, Any] | None] = ContextVar("pullboard_log_subject", default=None)


class RequestContextMiddleware(SyncAndAsyncMiddleware):
    """Remember the request being served, so log lines can say who asked."""

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        token = _request.set(request)
        try:
            response: Awaitable[HttpResponseBase] = self.get_response(request)
            return await response
        finally:
            _request.reset(token)


def _known_user(request: HttpRequest) -> Any:
    """The user of the request if it is already known, without a query to learn it.

    A session's user is a lazy object until something reads it; DRF puts the user and the
    token it authenticated on the request once it has (`request.user`, `request.auth`).
    """
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = user.__dict__.get("_wrapped", empty)
        if user is empty:
            user = request.__dict__.get("_cached_user")
    return user


def request_actor(request: HttpRequest) -> dict[str, Any]:
    """`user_id` and `token_id` (knox's digest, shortened: never the key) of a request."""
    fields: dict[str, Any] = {}
    user = _known_user(request)
    if user is not None and getattr(user, "is_authenticated", False):
        fields["user_id"] = user.pk
    digest = getattr(request.__dict__.get("auth"), "digest", None)
    if isinstance(digest, str):
        fields["token_id"] = digest[:16]
    return fields


@contextmanager
def log_subject(**subject: Any) -> Iterator[None]:
    """`with log_subject(line="assembly", product="F-100"):` every line logged inside says so."""
    known = {key: value for key, value in subject.items() if value is not None}
    token = _subject.set({**(_subject.get() or {}), **known})
    try:
        yield
    finally:
        _subject.reset(token)


class ContextFilter(logging.Filter):
    """Add the request's user or token, the running task and the line or product concerned."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = _request.get()
        answered = getattr(record, "request", None)  # Django's line for a 4xx/5xx answer,
        if request is None and isinstance(answered, HttpRequest):  # logged after the middleware
            request = answered
        if request is not None:
            for key, value in request_actor(request).items():
                setattr(record, key, value)
            if not hasattr(record, "path"):
                record.path = request.path
            # The line or product the URL names: every `code` in a route is a line's
            # (boards, dashboards, planning, API lines), every `sku` a product's.
            match = getattr(request, "resolver_match", None)
            if match is not None:
                for kwarg, key in (("code", "line"), ("sku", "product")):
                    if kwarg in match.kwargs and not hasattr(record, key):
                        setattr(record, key, match.kwargs[kwarg])
        task = _task.get()
        if task is not None:
            record.task, record.task_id = task
        for key, value in (_subject.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class ExpectedConditionFilter(logging.Filter):
    """An expected failure (a service down) is one line: the error, not its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.levelno < logging.ERROR:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()}: {error}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


# --- The request id into Celery tasks ------------------------------------------------------


@signals.before_task_publish.connect
def _request_id_into_the_message(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = get_guid()
    if headers is not None and request_id:
        headers[REQUEST_ID_HEADER] = request_id


@signals.task_prerun.connect
def _request_id_from_the_message(task: Any = None, task_id: str = "", **kwargs: Any) -> None:
    request = getattr(task, "request", None)
    _task.set((getattr(task, "name", "?"), task_id))
    if request is None or request.is_eager:
        return  # in process: the id of whoever runs it stays
    set_guid(request.get(REQUEST_ID_HEADER) or uuid.uuid4().hex)


@signals.task_postrun.connect
def _forget_the_task(task: Any = None, **kwargs: Any) -> None:
    _task.set(None)
    request = getattr(task, "request", None)
    if request is not None and not request.is_eager:
        clear_guid()


@signals.setup_logging.connect
def _workers_log_like_the_web(**kwargs: Any) -> None:
    """Celery workers and beat use the settings' LOGGING (JSON lines in the services profile)
    instead of Celery's own set-up."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
