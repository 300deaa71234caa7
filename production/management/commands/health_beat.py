"""`python manage.py health_beat`: is Celery beat healthy?

Exits 0 when PostgreSQL, every migration and each Redis answer and beat stamped its
heartbeat (`PULLBOARD_BEAT_HEARTBEAT_FILE`) within `PULLBOARD_BEAT_HEARTBEAT_MAX_AGE_SECONDS`;
1 with one line per failed check otherwise. docker-compose.yml runs it.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from django.core.management.base import BaseCommand

from production.ops.health import beat_checks, report, run_checks


class Command(BaseCommand):
    help = "Check that Celery beat ticks and its database and Redis answer."

    def handle(self, *args: Any, **options: Any) -> None:
        healthy, lines = report(asyncio.run(run_checks(beat_checks())))
        self.stdout.write("\n".join(lines))
        if not healthy:
            sys.exit(1)
