"""`python manage.py health_worker [--name celery@host]`: is this Celery worker healthy?

Exits 0 when PostgreSQL, every migration, each Redis and the worker itself (a ping through
the broker, by node name; default `celery@<hostname>`, as `celery worker` names itself)
answer; 1 with one line per failed check otherwise. docker-compose.yml runs it.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from production.ops.health import report, run_checks, worker_checks, worker_name


class Command(BaseCommand):
    help = "Check that this Celery worker, its database and its Redis answer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default=worker_name(), help="the worker's node name")

    def handle(self, *args: Any, **options: Any) -> None:
        healthy, lines = report(asyncio.run(run_checks(worker_checks(options["name"]))))
        self.stdout.write("\n".join(lines))
        if not healthy:
            sys.exit(1)
