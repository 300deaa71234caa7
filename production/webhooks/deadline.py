"""One deadline for a whole delivery attempt: connect, the receiver's headers, its body.

Socket timeouts bound each read, not the attempt: a receiver that sends its status line
or headers one byte a second never lets a read time out. So every connection an attempt
uses is registered here (by the checked connections of `destinations`), and a timer shuts
them at the deadline; a read that is waiting then returns at once and the attempt fails.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_current = threading.local()


class AttemptDeadline:
    """The sockets of one attempt, shut together when its time is up."""

    def __init__(self) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def attempt_deadline(seconds: float) -> Iterator[AttemptDeadline]:
    """Connections opened or reused in this thread inside the block are shut after
    `seconds`."""
    deadline = AttemptDeadline()
    timer = threading.Timer(seconds, deadline.expire)
    timer.daemon = True
    _current.deadline = deadline
    timer.start()
    try:
        yield deadline
    finally:
        timer.cancel()
        _current.deadline = None


def register(sock: socket.socket | None) -> None:
    """Put a connection of this thread's attempt under its deadline (if one is running)."""
    deadline = getattr(_current, "deadline", None)
    if deadline is not None and sock is not None:
        deadline.add(sock)
