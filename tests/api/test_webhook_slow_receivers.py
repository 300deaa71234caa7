"""A receiver cannot hold a delivery worker: its answer is read for a bounded time and only
its first few kilobytes are read at all."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from production.webhooks import delivery as sender
from production.webhooks.models import WebhookDelivery
from production.webhooks.services import webhook_subscription_create


@contextmanager
def raw_receiver(body_size: int, pause: float) -> Iterator[dict]:
    """Answers 200 with a body of `body_size` bytes, in 1 kB pieces `pause` seconds apart."""
    state = {"sent": 0, "finished": False}
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    state["url"] = f"http://127.0.0.1:{server.getsockname()[1]}/hook"

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {body_size}\r\n\r\n".encode())
            try:
                while state["sent"] < body_size:
                    piece = b"x" * min(1024 if pause else 65536, body_size - state["sent"])
                    conn.sendall(piece)
                    state["sent"] += len(piece)
                    if pause:
                        time.sleep(pause)
                state["finished"] = True
            except OSError:
                pass  # the sender hung up, as it should

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.close()
        thread.join(timeout=10)


def send_one(url: str) -> WebhookDelivery:
    subscription = webhook_subscription_create(url=url, event_types=["demand.received"])
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event_type="demand.received", body="{}"
    )
    sender._attempt(WebhookDelivery.objects.select_related("subscription").get(pk=delivery.pk))
    delivery.refresh_from_db()
    return delivery


def test_a_receiver_that_trickles_its_answer_is_cut_off(db, monkeypatch):
    monkeypatch.setattr(sender, "ATTEMPT_SECONDS", 0.5)
    with raw_receiver(body_size=1_000_000, pause=0.1) as state:
        delivery = send_one(state["url"])
    assert not state["finished"]
    assert delivery.status == "pending" and delivery.attempt_count == 1  # retried later
    attempt = delivery.attempts.get()
    assert attempt.status_code is None
    assert "took longer than 0.5 s" in attempt.error


def test_only_the_first_kilobytes_of_a_huge_answer_are_read(db):
    with raw_receiver(body_size=30_000_000, pause=0) as state:
        delivery = send_one(state["url"])
    assert delivery.status == "succeeded"
    assert not state["finished"], "the 30 MB body must not be downloaded"
    assert state["sent"] < 30_000_000
    assert len(delivery.attempts.get().response_body) <= sender.RESPONSE_KEPT


@pytest.mark.parametrize("name", ["RESPONSE_READ_BYTES", "ATTEMPT_SECONDS"])
def test_the_bounds_are_documented(name):
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    assert {"RESPONSE_READ_BYTES": "8 kB", "ATTEMPT_SECONDS": "20 s"}[name] in docs


@contextmanager
def trickling_headers(pause: float, lines: int) -> Iterator[dict]:
    """Answers a status line, then `lines` header lines one byte every `pause` seconds:
    every read gets a byte well within its timeout, so only a deadline on the whole
    attempt ends it."""
    header = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: y\r\n" * lines + b"Content-Length: 0\r\n\r\n"
    state = {"sent": 0, "finished": False, "total": len(header)}
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    state["url"] = f"http://127.0.0.1:{server.getsockname()[1]}/hook"

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            try:
                for byte in header:
                    conn.sendall(bytes([byte]))
                    state["sent"] += 1
                    time.sleep(pause)
                state["finished"] = True
            except OSError:
                pass  # the sender hung up, as it should

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.close()
        thread.join(timeout=30)


def test_a_receiver_that_trickles_its_headers_is_cut_at_the_deadline(db, monkeypatch):
    """A header byte every 0.2 s (each read far within its 10 s timeout): without a
    deadline on the whole attempt the sender reads all of them (about 70 s)."""
    monkeypatch.setattr(sender, "ATTEMPT_SECONDS", 1.0)
    with trickling_headers(pause=0.2, lines=30) as state:
        delivery = send_one(state["url"])
        sent_when_answered = state["sent"]
    assert not state["finished"]
    assert sent_when_answered < state["total"] / 2, "the headers were read to their end"
    assert delivery.status == "pending" and delivery.attempt_count == 1  # retried later
    attempt = delivery.attempts.get()
    assert attempt.status_code is None
    assert "took longer than 1 s" in attempt.error
