"""`python manage.py rebuild_daily_flows`: recompute the dashboards' per-day sums."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from production.dashboards.services import daily_flows_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the line dashboards' per-day sums of stock moves and demand from the raw "
        "tables (after changing TIME_ZONE, or a load that bypassed the triggers)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = daily_flows_rebuild()
        if not counts:
            self.stdout.write("Not PostgreSQL: the dashboards read the raw tables; nothing to do.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt {counts['stock_days']:,} stock days and {counts['demand_days']:,} "
                "demand days."
            )
        )
