"""`python manage.py export_masterdata OUT`: master data to a workbook or CSV files.

OUT ending in `.xlsx` is one workbook with a sheet per kind; any other OUT is a folder
that gets one `<kind>.csv` per kind. What it writes, `import_masterdata` reads back
unchanged. `--template` writes the header row and an example line of each kind instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from production.masterdata.files import csv_text, export_datasets, templates, workbook_bytes
from production.masterdata.kinds import kinds


class Command(BaseCommand):
    help = (
        "Export master data: OUT.xlsx is one workbook with a sheet per kind, any other OUT "
        "a folder of <kind>.csv files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path)
        parser.add_argument(
            "--kind",
            action="append",
            choices=list(kinds()),
            help="Only this kind (repeat for several); all kinds by default.",
        )
        parser.add_argument(
            "--template",
            action="store_true",
            help="Write each kind's header row and an example line, not the data.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if options["template"]:
            every = templates()
            datasets = {k: every[k] for k in options["kind"]} if options["kind"] else every
        else:
            datasets = export_datasets(options["kind"])
        if out.suffix.lower() == ".xlsx":
            out.write_bytes(workbook_bytes(datasets))
            written = [str(out)]
        else:
            if out.exists() and not out.is_dir():
                raise CommandError(f"{out}: a CSV export goes to a folder (or name an .xlsx).")
            out.mkdir(parents=True, exist_ok=True)
            written = []
            for name, dataset in datasets.items():
                target = out / f"{name}.csv"
                target.write_text(csv_text(dataset), encoding="utf-8")
                written.append(str(target))
        rows = sum(len(d) for d in datasets.values())
        self.stdout.write(f"Wrote {rows} rows of {len(datasets)} kinds: {', '.join(written)}")
