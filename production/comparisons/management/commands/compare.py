"""Compare push and pull on the line twin from the shell, and print the results as JSON.

    python manage.py compare --spec line.json             # a described line
    python manage.py compare --line assembly --days 56    # a live line's last 8 weeks
    python manage.py compare --spec line.json --save      # also store it as a comparison

Without `--series` the daily series and cycle-time samples are left out of the output.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from production.comparisons.services import comparison_period_spec, comparison_run, comparison_start
from production.comparisons.twin import SpecError, compare
from production.errors import DomainError
from production.models import ProductionLine


class Command(BaseCommand):
    help = "Run a push-vs-pull comparison on the line twin and print JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--spec", help="A twin spec as a JSON file ('-' reads stdin).")
        source.add_argument("--line", help="A live line's code: replay its demand history.")
        parser.add_argument("--days", type=int, default=28, help="With --line: the last N days.")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--replications", type=int, default=5)
        parser.add_argument("--series", action="store_true", help="Include the daily series.")
        parser.add_argument("--save", action="store_true", help="Store it as a comparison too.")

    def handle(self, *args: Any, **options: Any) -> None:
        line = None
        try:
            if options["spec"]:
                spec = self._read(options["spec"])
            else:
                line = ProductionLine.objects.filter(code=options["line"]).first()
                if line is None:
                    raise CommandError(f"No line with code {options['line']!r}.")
                spec = comparison_period_spec(
                    line=line,
                    days=options["days"],
                    policies=None,
                    stations=None,
                    seed=options["seed"],
                    replications=options["replications"],
                )
            results = self._saved(spec, line) if options["save"] else compare(spec)
        except SpecError as err:
            raise CommandError(f"Invalid spec: {err}") from err
        except DomainError as err:
            raise CommandError(f"{err.field}: {err.message}" if err.field else err.message) from err
        if not options["series"]:
            for policy in results["policies"]:
                policy.pop("series", None)
                policy.pop("cycle_times_days", None)
        self.stdout.write(json.dumps(results, indent=2))

    def _read(self, path: str) -> dict[str, Any]:
        try:
            text = sys.stdin.read() if path == "-" else Path(path).read_text()
            data = json.loads(text)
        except (OSError, json.JSONDecodeError) as err:
            raise CommandError(f"Cannot read the spec: {err}") from err
        if not isinstance(data, dict):
            raise CommandError("The spec must be a JSON object.")
        return data

    def _saved(self, spec: dict[str, Any], line: ProductionLine | None) -> dict[str, Any]:
        name = f"{line.code}: shell" if line else "Shell comparison"
        comparison = comparison_start(
            name=name, spec=spec, actor_id=None, line=line, queue_run=False
        )
        # Run here, in the command's own process.
        ran = comparison_run(comparison_id=comparison.pk)
        if ran is None or ran.results is None:
            comparison.refresh_from_db()
            if comparison.results is None:
                raise CommandError(comparison.error or "The comparison did not finish.")
            return dict(comparison.results, comparison_id=comparison.pk)
        return dict(ran.results, comparison_id=comparison.pk)
