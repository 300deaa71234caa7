"""A tiny webhook receiver on 127.0.0.1, in a thread: it checks signatures like a real one."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Receiver:
    secret: str = ""
    answers: list[int] = field(default_factory=list)  # status codes to give, then 200
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    # If set, the first request is held until the event is set (a slow receiver).
    hold_first: threading.Event | None = None
    first_arrived: threading.Event = field(default_factory=threading.Event)

    def verified(self) -> list[dict[str, Any]]:
        return [r for r in self.received if r["verified"]]

    def types(self) -> list[str]:
        return [r["body"]["type"] for r in self.received]


@contextmanager
def running_receiver(receiver: Receiver | None = None) -> Iterator[Receiver]:
    receiver = receiver or Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"])).decode()
            first = not receiver.first_arrived.is_set()
            receiver.first_arrived.set()
            if first and receiver.hold_first is not None:
                receiver.hold_first.wait(30)
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                Webhook(receiver.secret).verify(raw, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
            status = receiver.answers.pop(0) if receiver.answers else 200
            receiver.received.append(
                {
                    "headers": headers,
                    "body": json.loads(raw),
                    "verified": verified,
                    "status": status,
                }
            )
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"try later")

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_port}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
