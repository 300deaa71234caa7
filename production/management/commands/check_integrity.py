"""`python manage.py check_integrity`: is this database sound? (after a restore, say)

Checks that every stock level equals its ledger, that the cards hold what is on hand, that
each empty card has its one open pull signal and that the webhook deliveries are
consistent (production/ops/integrity.py). Prints what it found; exits 1 on any finding.
It changes nothing: the reconciler (`reconcile_task`) repairs what can be repaired.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand

from production.ops.integrity import check_integrity


class Command(BaseCommand):
    help = "Verify the database's invariants; exit 1 on any finding."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        results = check_integrity()
        total = 0
        for result in results:
            total += result.count
            verdict = "ok" if not result.count else f"{result.count} finding(s)"
            self.stdout.write(f"{result.name}: {verdict}")
            for finding in result.findings:
                self.stdout.write(f"  - {finding}")
            if result.count > len(result.findings):
                self.stdout.write(f"  ... and {result.count - len(result.findings)} more")
        seconds = time.monotonic() - started
        if total:
            self.stderr.write(f"{total} finding(s) in {seconds:.2f} s")
            sys.exit(1)
        self.stdout.write(f"no findings ({len(results)} checks, {seconds:.2f} s)")
