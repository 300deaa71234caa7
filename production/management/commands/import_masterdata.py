"""`python manage.py import_masterdata FILE...`: master data from XLSX or CSV files.

A dry run by default: every row is reported (new, changed, unchanged, or the error and
its column) and nothing is saved; `--commit` applies the file, all or nothing, in one
transaction (README, "Master data files").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from production.errors import DomainError
from production.masterdata.files import read_paths
from production.masterdata.kinds import kinds
from production.masterdata.services import ImportReport, masterdata_import


class Command(BaseCommand):
    help = (
        "Import master data (one XLSX workbook with a sheet per kind, CSV files named by "
        "kind, or a folder of them). A dry run unless --commit is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--commit", action="store_true", help="Apply the import (all rows, or none)."
        )
        mode.add_argument(
            "--dry-run",
            action="store_true",
            help="Only report what the import would do (the default).",
        )
        parser.add_argument(
            "--kind",
            choices=list(kinds()),
            help="The kind of a CSV file not named after its kind (products.csv, ...).",
        )
        parser.add_argument(
            "--user", help="Username the changes are recorded for (events, ledger, history)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for path in options["files"]:
            if not path.exists():
                raise CommandError(f"{path}: no such file or folder.")
        actor_id = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user named {options['user']!r}.")
            actor_id = user.pk
        try:
            sheets = read_paths(options["files"], kind_name=options["kind"])
            if not sheets:
                raise CommandError("Nothing to import: no sheet or file of a known kind.")
            report = masterdata_import(
                sheets=sheets, dry_run=not options["commit"], actor_id=actor_id
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        self._print(report, verbose=options["verbosity"] > 1)
        if report.has_errors:
            raise CommandError("Nothing was imported: correct the rows above and run again.")
        if report.dry_run:
            self.stdout.write("Dry run: nothing was saved. Run again with --commit to apply it.")
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))

    def _print(self, report: ImportReport, *, verbose: bool) -> None:
        for sheet in report.sheets:
            counts = ", ".join(
                f"{sheet.count(status)} {status}"
                for status in ("new", "changed", "unchanged", "error")
            )
            self.stdout.write(f"{sheet.kind}: {counts}")
            for message in sheet.errors:
                self.stdout.write(self.style.ERROR(f"  {message}"))
            for row in sheet.rows:
                if row.status == "unchanged" and not verbose:
                    continue
                self.stdout.write(f"  row {row.row} {row.key}: {row.status}")
                for column, message in row.errors:
                    where = f"column {column}: " if column else ""
                    self.stdout.write(self.style.ERROR(f"    {where}{message}"))
