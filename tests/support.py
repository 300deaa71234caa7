"""Helpers shared by test modules that start real processes (workers, servers)."""

from __future__ import annotations

import socket

from django.conf import settings


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def subprocess_database_url() -> str:
    """DATABASE_URL of the test database, for a process started by a test."""
    db = settings.DATABASES["default"]
    host = db.get("HOST") or "127.0.0.1"
    auth = db.get("USER") or "postgres"
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"
