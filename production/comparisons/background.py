"""The embedded profile's comparisons: run in a thread of the web process, off the request.

With no broker, Celery runs tasks in process (eager), which would run the twin inside
the POST that starts it. So there a comparison is handed, once committed, to one
background thread (one comparison at a time, in start order); the POST answers 202 at
once and the comparison goes `queued` -> `running` -> `done` or `failed` as under a
worker. A comparison still queued or running when the process stops is left so, as a
killed worker leaves it; start it again.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connections

log = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="comparison")
        return _executor


def comparison_run_in_background(comparison_id: int) -> Future[None]:
    """Queue the run of a committed comparison on the process's comparison thread."""
    return _pool().submit(_run, comparison_id)


def _run(comparison_id: int) -> None:
    from production.comparisons.services import comparison_run

    try:
        comparison_run(comparison_id=comparison_id)
    except Exception:  # marked failed by comparison_run; the thread lives on
        log.exception("comparison %s failed", comparison_id)
    finally:
        connections.close_all()  # this thread's own connections
