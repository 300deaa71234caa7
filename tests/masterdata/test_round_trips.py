"""Master data files both ways: export, import unchanged (no change), edit a cell (exactly
that change), every kind, CSV and XLSX, and bad rows that import nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
import tablib

from kanban.models import CardEvent, CardStatus, KanbanLoop
from production.masterdata.files import (
    export_datasets,
    read_csv,
    read_workbook,
    templates,
    workbook_bytes,
)
from production.masterdata.services import ImportReport, masterdata_import
from production.models import BomLine, Location, MoveKind, Product, ProductionLine, StockMove
from production.supply.models import Supplier

pytestmark = pytest.mark.django_db

KINDS = ["lines", "locations", "suppliers", "products", "bom", "loops"]


def _statuses(report: ImportReport) -> dict[str, dict[str, int]]:
    return {
        sheet.kind: {s: sheet.count(s) for s in ("new", "changed", "unchanged", "error")}
        for sheet in report.sheets
    }


def _snapshot() -> list[tuple]:
    return [
        *ProductionLine.objects.values_list("code", "name", "capacity_per_day", "wip_limit"),
        *Location.objects.values_list("code", "name", "kind"),
        *Supplier.objects.values_list("code", "name", "lead_time_days", "email"),
        *Product.objects.values_list(
            "sku",
            "name",
            "unit",
            "line__code",
            "supermarket__code",
            "container_quantity",
            "lead_time_days",
        ),
        *BomLine.objects.values_list("parent__sku", "component__sku", "quantity"),
        *KanbanLoop.objects.values_list(
            "product__sku", "location__code", "container_quantity", "safety_factor"
        ),
        ("moves", StockMove.objects.count()),
        ("card events", CardEvent.objects.count()),
    ]


@pytest.fixture
def with_supplier(plant):  # type: ignore[no-untyped-def]
    Supplier.objects.create(code="acme", name="ACME", lead_time_days=Decimal("5"))
    return plant


def _csv_sheets() -> dict[str, tablib.Dataset]:
    return {
        name: read_csv(d.export("csv"), kind_name=name) for name, d in export_datasets().items()
    }


def _xlsx_sheets() -> dict[str, tablib.Dataset]:
    return read_workbook(workbook_bytes(export_datasets()))


@pytest.mark.parametrize("read", [_csv_sheets, _xlsx_sheets], ids=["csv", "xlsx"])
def test_an_export_imported_again_changes_nothing(with_supplier, read) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot()
    sheets = read()
    assert set(sheets) == set(KINDS)

    report = masterdata_import(sheets=sheets, dry_run=False)

    assert report.applied and not report.has_errors
    assert all(counts["unchanged"] == sum(counts.values()) for counts in _statuses(report).values())
    assert [sheet.kind for sheet in report.sheets] == KINDS
    assert _snapshot() == before


def _edit_xlsx(data: bytes, sheet: str, key: str, column: str, value: object) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    rows = list(book[sheet].iter_rows())
    header = [cell.value for cell in rows[0]]
    for row in rows[1:]:
        if row[0].value == key:
            row[header.index(column)].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("sheet", "key", "column", "value", "check"),
    [
        (
            "products",
            "F-100",
            "lead_time_days",
            3.5,
            lambda: Product.objects.get(sku="F-100").lead_time_days == Decimal("3.5"),
        ),
        (
            "products",
            "F-100",
            "line",
            "fab",
            lambda: Product.objects.get(sku="F-100").line.code == "fab",
        ),
        (
            "lines",
            "fab",
            "wip_limit",
            9,
            lambda: ProductionLine.objects.get(code="fab").wip_limit == 9,
        ),
        (
            "locations",
            "sm-main",
            "name",
            "Hall 2",
            lambda: Location.objects.get(code="sm-main").name == "Hall 2",
        ),
        (
            "suppliers",
            "acme",
            "email",
            "po@acme.example",
            lambda: Supplier.objects.get(code="acme").email == "po@acme.example",
        ),
        (
            "bom",
            "F-100",
            "quantity",
            4,
            lambda: BomLine.objects.get(parent__sku="F-100").quantity == Decimal("4"),
        ),
        (
            "loops",
            "C-100",
            "safety_factor",
            0.5,
            lambda: KanbanLoop.objects.get(product__sku="C-100").safety_factor == Decimal("0.5"),
        ),
    ],
)
def test_one_edited_cell_is_exactly_one_change(
    with_supplier, sheet, key, column, value, check
) -> None:  # type: ignore[no-untyped-def]
    data = _edit_xlsx(workbook_bytes(export_datasets()), sheet, key, column, value)
    before = set(_snapshot())

    preview = masterdata_import(sheets=read_workbook(data), dry_run=True)
    assert not preview.applied and set(_snapshot()) == before
    report = masterdata_import(sheets=read_workbook(data), dry_run=False)

    counts = _statuses(report)
    assert counts[sheet]["changed"] == 1 and _statuses(preview) == counts
    assert sum(c["changed"] + c["new"] + c["error"] for c in counts.values()) == 1
    assert check()
    assert len(before - set(_snapshot())) == 1  # one row of one kind differs, nothing else


def test_a_new_plant_from_the_templates_kinds_opens_loops_with_their_stock(db, planner) -> None:  # type: ignore[no-untyped-def]
    sheets = {
        "lines": tablib.Dataset(
            ["asm", "Assembly", "400", "6"], headers=templates()["lines"].headers
        ),
        "locations": tablib.Dataset(
            ["sm-1", "Supermarket 1", "supermarket"], headers=["code", "name", "kind"]
        ),
        "products": tablib.Dataset(
            ["P-1", "Part one", "pcs", "asm", "sm-1", "10", "2"],
            ["P-2", "Part two", "pcs", "asm", "sm-1", "5", "1"],
            headers=templates()["products"].headers,
        ),
        "bom": tablib.Dataset(["P-2", "P-1", "3"], headers=["parent", "component", "quantity"]),
        "loops": tablib.Dataset(
            ["P-1", "sm-1", "10", "3", "0.2"], headers=templates()["loops"].headers
        ),
    }

    report = masterdata_import(sheets=sheets, dry_run=False, actor_id=planner.pk)

    assert report.applied, report
    loop = KanbanLoop.objects.get(product__sku="P-1")
    assert list(loop.cards.values_list("status", flat=True)) == [CardStatus.FULL] * 3
    opening = StockMove.objects.get(product__sku="P-1", kind=MoveKind.OPENING)
    assert opening.quantity == Decimal("30") and opening.created_by == planner
    assert set(CardEvent.objects.values_list("actor_id", flat=True)) == {planner.pk}
    assert BomLine.objects.get(parent__sku="P-2").component.sku == "P-1"


def test_one_bad_row_imports_nothing_and_names_row_and_column(with_supplier) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot()
    products = tablib.Dataset(
        ["N-1", "New one", "pcs", "fab", "sm-main", "10", "2"],
        ["N-2", "New two", "pcs", "no-such-line", "sm-main", "10", "2"],
        ["N-3", "New three", "pcs", "fab", "sm-main", "ten", "2"],
        headers=templates()["products"].headers,
    )
    locations = tablib.Dataset(["sm-new", "New", "supermarket"], headers=["code", "name", "kind"])

    report = masterdata_import(sheets={"locations": locations, "products": products}, dry_run=False)

    assert not report.applied and report.has_errors
    rows = {row.key: row for row in report.sheets[1].rows}
    assert rows["N-1"].status == "new"
    assert rows["N-2"].row == 3 and rows["N-2"].errors == [
        ("line", "Unknown production line 'no-such-line'.")
    ]
    assert rows["N-3"].errors == [("container_quantity", "'ten' is not a number.")]
    assert _snapshot() == before
    assert not Location.objects.filter(code="sm-new").exists()


@pytest.mark.parametrize(
    ("sheet", "row", "column", "message"),
    [
        ("products", ["bad sku!", "X", "pcs", "fab", "sm-main", "1", "1"], "sku", "A SKU starts"),
        ("products", ["X-1", "X", "pcs", "fab", "sm-main", "0", "1"], "container_quantity", ""),
        ("locations", ["sm-x", "X", "shelf"], "kind", "not a valid choice"),
        ("suppliers", ["s1", "S", "5", "not-an-email"], "email", "valid email"),
        ("bom", ["F-100", "F-100", "1"], "component", "its own component"),
        ("bom", ["F-100", "NOPE", "1"], "component", "Unknown product 'NOPE'"),
        ("loops", ["F-100", "sm-main", "5", "4", "0.2"], "card_count", "card count"),
        ("loops", ["F-100", "sm-main", "7", "3", "0.2"], "container_quantity", "container"),
        ("loops", ["C-100", "nowhere", "10", "2", "0.2"], "location", "Unknown location"),
        ("lines", ["fab", "Fab", "100", "2.5"], "wip_limit", "whole number"),
    ],
)
def test_bad_cells_are_named(with_supplier, sheet, row, column, message) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot()
    dataset = tablib.Dataset(row, headers=templates()[sheet].headers)

    report = masterdata_import(sheets={sheet: dataset}, dry_run=False)

    (result,) = report.sheets[0].rows
    assert result.status == "error" and result.row == 2
    assert [c for c, _ in result.errors][:1] == [column]
    assert message in result.errors[0][1]
    assert _snapshot() == before


def test_a_sheet_without_its_key_column_is_refused(with_supplier) -> None:  # type: ignore[no-untyped-def]
    report = masterdata_import(
        sheets={"products": tablib.Dataset(["x"], headers=["name"])}, dry_run=False
    )
    assert report.has_errors and "sku" in report.sheets[0].errors[0]
