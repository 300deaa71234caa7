"""The writes of an import: the whole file in one transaction, all or nothing.

Rows save through the services of their kind (products and lines through the core's,
loops through kanban's `loop_create`, so opening stock is booked in the ledger and the
cards' events are written as if typed by hand); the kinds without a service of their own
in the core yet (locations, suppliers, single BOM lines) save here, through `save()`, so
each change gets its audit history row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext

from production.errors import DomainError
from production.models import BomLine, Location, Product
from production.supply.models import Supplier

if TYPE_CHECKING:
    from tablib import Dataset

# django-import-export's row outcomes, as the report names them.
STATUS = {
    "new": "new",
    "update": "changed",
    "skip": "unchanged",
    "error": "error",
    "invalid": "error",
    "delete": "error",
}


@transaction.atomic
def location_save(*, code: str, name: str, kind: str, actor_id: int | None = None) -> Location:
    location = Location.objects.select_for_update().filter(code=code).first()
    if location is None:
        return Location.objects.create(code=code, name=name, kind=kind)
    location.name, location.kind = name, kind
    location.save(update_fields=["name", "kind"])
    return location


@transaction.atomic
def supplier_save(
    *, code: str, name: str, lead_time_days: Decimal, email: str, actor_id: int | None = None
) -> Supplier:
    if Decimal(lead_time_days) <= 0:
        raise DomainError(gettext("Lead time must be positive."), field="lead_time_days")
    supplier = Supplier.objects.select_for_update().filter(code=code).first()
    if supplier is None:
        return Supplier.objects.create(
            code=code, name=name, lead_time_days=lead_time_days, email=email
        )
    supplier.name, supplier.lead_time_days, supplier.email = name, lead_time_days, email
    supplier.save(update_fields=["name", "lead_time_days", "email"])
    return supplier


@transaction.atomic
def bom_line_save(
    *, parent: Product, component: Product, quantity: Decimal, actor_id: int | None = None
) -> BomLine:
    """One component of a product's BOM, added or its quantity changed (the others stay)."""
    if parent.pk == component.pk:
        raise DomainError(gettext("A product cannot be its own component."), field="component")
    if Decimal(quantity) <= 0:
        raise DomainError(gettext("Quantity must be greater than zero."), field="quantity")
    line = BomLine.objects.select_for_update().filter(parent=parent, component=component).first()
    if line is None:
        return BomLine.objects.create(parent=parent, component=component, quantity=quantity)
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    return line


@dataclass
class RowReport:
    row: int  # as a spreadsheet numbers it: the header is row 1
    key: str
    status: str  # new, changed, unchanged or error
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)


@dataclass
class SheetReport:
    kind: str
    rows: list[RowReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the sheet's own (a missing column)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)


@dataclass
class ImportReport:
    sheets: list[SheetReport]
    dry_run: bool
    applied: bool = False

    @property
    def has_errors(self) -> bool:
        return any(s.errors or s.count("error") for s in self.sheets)


def _sheet_report(kind: str, dataset: Dataset, keys: list[str], result: Any) -> SheetReport:
    report = SheetReport(kind=kind)
    report.errors = [str(error.error) for error in result.base_errors]
    for index, row_result in enumerate(result.rows):
        values = dict(zip(dataset.headers or [], dataset[index], strict=False))
        row = RowReport(
            row=index + 2,
            key=" / ".join(str(values.get(k, "")) for k in keys),
            status=STATUS[row_result.import_type],
        )
        if row_result.validation_error is not None:
            for column, messages in row_result.validation_error.message_dict.items():
                column = "" if column == "__all__" else column
                row.errors.extend((column, message) for message in messages)
        row.errors.extend(("", str(error.error)) for error in row_result.errors)
        report.rows.append(row)
    return report


def masterdata_import(
    *, sheets: Mapping[str, Dataset], dry_run: bool = True, actor_id: int | None = None
) -> ImportReport:
    """Import every sheet, kind by kind (what a row refers to first), in one transaction.

    A dry run, or any bad row, rolls it all back: the report then says what each row
    would have been (new, changed, unchanged) or why it is refused, naming the column.
    """
    from production.masterdata.kinds import kind, kinds

    for name in sheets:
        kind(name)  # an unknown sheet is refused before anything is read
    report = ImportReport(sheets=[], dry_run=dry_run)
    with transaction.atomic():
        for name, resource_class in kinds().items():
            if name not in sheets:
                continue
            resource = resource_class(actor_id=actor_id, diff=False)
            # No savepoint a row: each row's service is its own (nested) transaction.
            result = resource.import_data(
                sheets[name], dry_run=False, raise_errors=False, use_transactions=False
            )
            report.sheets.append(
                _sheet_report(name, sheets[name], list(resource.get_import_id_fields()), result)
            )
        if dry_run or report.has_errors:
            transaction.set_rollback(True)
        else:
            report.applied = True
    return report
