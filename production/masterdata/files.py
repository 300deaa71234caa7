"""Master data files: one XLSX workbook with a sheet per kind, or one CSV file per kind.

Reading turns a file into one `tablib.Dataset` per kind; writing does the reverse. The
export and the templates read through the kinds' resources, so what an export writes is
exactly what an import reads back.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import tablib
from django.utils.translation import gettext

from production.errors import DomainError
from production.masterdata.kinds import kind, kinds
from production.masterdata.resources import MasterDataResource

FORMATS = ("xlsx", "csv")


def _clean(dataset: tablib.Dataset) -> tablib.Dataset:
    """Drop the empty lines a spreadsheet keeps below its data; cells as text, trimmed."""
    headers = [str(h).strip() if h is not None else "" for h in (dataset.headers or [])]
    clean = tablib.Dataset(headers=headers, title=dataset.title)
    for row in dataset:
        cells = ["" if value is None else value for value in row]
        if any(str(cell).strip() for cell in cells):
            clean.append([cell.strip() if isinstance(cell, str) else cell for cell in cells])
    return clean


def read_workbook(data: bytes, *, kind_name: str | None = None) -> dict[str, tablib.Dataset]:
    """A sheet per kind, named by its kind; `kind_name` names the one sheet of a workbook
    that has one (the admin's export of one kind)."""
    try:
        book = tablib.Databook().load(io.BytesIO(data), "xlsx")
    except Exception as exc:  # openpyxl's many ways of saying "not a workbook"
        raise DomainError(
            gettext("Not an XLSX workbook: %(error)s") % {"error": exc}, field="file"
        ) from None
    found = [sheet for sheet in book.sheets() if sheet.headers]
    if kind_name is not None and len(found) == 1:
        found[0].title = kind_name
    sheets = {}
    for sheet in found:
        kind(sheet.title)
        sheets[sheet.title] = _clean(sheet)
    return sheets


def read_csv(text: str, *, kind_name: str) -> tablib.Dataset:
    kind(kind_name)
    dataset = tablib.Dataset().load(text.lstrip("\ufeff"), format="csv")
    dataset.title = kind_name
    return _clean(dataset)


def read_paths(paths: Iterable[Path], *, kind_name: str | None = None) -> dict[str, tablib.Dataset]:
    """Files as the command takes them: workbooks, CSV files named by kind, or folders of
    those CSV files (an export's folder)."""
    sheets: dict[str, tablib.Dataset] = {}
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
            sheets.update(read_paths(files))
        elif path.suffix.lower() == ".xlsx":
            sheets.update(read_workbook(path.read_bytes(), kind_name=kind_name))
        elif path.suffix.lower() == ".csv":
            name = kind_name or path.stem
            sheets[name] = read_csv(path.read_text(encoding="utf-8"), kind_name=name)
        else:
            raise DomainError(
                gettext("%(name)s: a master data file is .xlsx or .csv.") % {"name": path.name},
                field="file",
            )
    return sheets


def export_datasets(names: Iterable[str] | None = None) -> dict[str, tablib.Dataset]:
    chosen = list(names) if names else list(kinds())
    datasets = {}
    for name in chosen:
        dataset = kind(name)().export()
        dataset.title = name
        datasets[name] = dataset
    return datasets


def template_dataset(resource_class: type[MasterDataResource]) -> tablib.Dataset:
    columns = resource_class.columns()
    dataset = tablib.Dataset(headers=columns, title=resource_class.kind)
    dataset.append([resource_class.example.get(column, "") for column in columns])
    return dataset


def templates() -> dict[str, tablib.Dataset]:
    return {name: template_dataset(resource) for name, resource in kinds().items()}


def workbook_bytes(datasets: dict[str, tablib.Dataset]) -> bytes:
    book = tablib.Databook()
    for name, dataset in datasets.items():
        dataset.title = name
        book.add_sheet(dataset)
    return book.export("xlsx")


def csv_text(dataset: tablib.Dataset) -> str:
    return dataset.export("csv")
