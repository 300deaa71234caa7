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


def notify_lines_changed(line_ids: Iterable[int], *, kind: str = "changed") -> None:
    ids = sorted(set(line_ids))
    if not ids:
        return

    def send() -> None:
        for line_id in ids:
            live_transport.publish(line_id, json.dumps({"line": line_id, "kind": kind}))

    transaction.on_commit(send)
