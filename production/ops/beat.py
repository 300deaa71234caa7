"""Beat's scheduler, with a heartbeat: each tick of its loop stamps a file.

`manage.py health_beat` (the compose health check of `beat`) reads the stamp's age: a beat
whose loop stopped, or that cannot start, goes unhealthy, which a pid check never saw.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery.beat import PersistentScheduler
from django.conf import settings


class HeartbeatScheduler(PersistentScheduler):
    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval = super().tick(*args, **kwargs)
        stamp_heartbeat()
        return interval


def stamp_heartbeat() -> None:
    path = Path(settings.PULLBOARD_BEAT_HEARTBEAT_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
