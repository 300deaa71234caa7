"""`python manage.py seed_plant --scale large`: a real plant's data, to measure at scale."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kanban.plant import SCALES, PlantExists, build_plant


class Command(BaseCommand):
    help = (
        "Build a synthetic plant with two years of history into an empty database "
        "(demo: 20 products; x10: 200 products, 500,000 demand events; large: 2,000 products, "
        "20,000 cards, 5 million demand events). Use a database of its own."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo")

    def handle(self, *args: Any, **options: Any) -> None:
        began = time.monotonic()

        def progress(step: str) -> None:
            self.stdout.write(f"[{time.monotonic() - began:7.1f} s] {step}")

        try:
            counts = build_plant(scale=options["scale"], progress=progress)
        except PlantExists as exc:
            raise CommandError(str(exc)) from exc
        for table, rows in counts.items():
            self.stdout.write(f"  {table:<28} {rows:>12,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Plant '{options['scale']}' built in {time.monotonic() - began:.0f} s."
            )
        )
