"""Dashboard fixtures: the history line of the twin tests, and a real browser."""

from __future__ import annotations

from tests.twin.conftest import history_line  # noqa: F401  (shared fixture)
