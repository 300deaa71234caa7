"""Live hints for open boards: "line X changed", sent after the change is committed.

The hint carries no data; a board that hears it re-reads from the server, which
stays the source of truth. In the services profile hints travel through Redis
pub/sub (so they cross web processes); in the embedded profile, an in-process hub.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from django.db import transaction

from production import live_transport

log = logging.getLogger(__name__)


class _Hints:
    """The lines changed in one transaction, sent once when it commits."""

    def __init__(self) -> None:
        self.lines: dict[int, str] = {}

    def __call__(self) -> None:
        live_transport.publish_many(
            (line_id, json.dumps({"line": line_id, "kind": kind}))
            for line_id, kind in sorted(self.lines.items())
        )


def notify_lines_changed(line_ids: Iterable[int | None], *, kind: str = "changed") -> None:
    ids = {line_id for line_id in line_ids if line_id is not None}  # none: a purchased product
    if not ids:
        return
    connection = transaction.get_connection()
    # A transaction that changes a line several times (stock, cards, work orders)
    # sends one hint per line: join the hook this transaction registered already, if
    # it is still there (a rolled-back savepoint drops it with its hints).
    pending = next(
        (func for _, func, _ in connection.run_on_commit if isinstance(func, _Hints)), None
    )
    if pending is None or not connection.in_atomic_block:
        pending = _Hints()
        for line_id in ids:
            pending.lines[line_id] = kind
        transaction.on_commit(pending)
        return
    for line_id in ids:
        # A specific kind ("mode") says more than the generic "changed" it may join.
        if kind != "changed" or line_id not in pending.lines:
            pending.lines[line_id] = kind
