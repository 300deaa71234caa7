"""`import_masterdata` and `export_masterdata` as a planner runs them at set-up."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kanban.models import KanbanLoop
from production.models import Product, StockMove
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("target", ["plant.xlsx", "plant-csv"])
def test_export_then_import_is_a_dry_run_that_finds_nothing_to_do(
    plant, tmp_path: Path, target
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / target

    written = _run("export_masterdata", str(out))
    report = _run("import_masterdata", str(out), "--commit")

    assert "Wrote" in written
    if target.endswith("-csv"):
        assert sorted(p.name for p in out.iterdir()) == [
            "bom.csv",
            "lines.csv",
            "locations.csv",
            "loops.csv",
            "products.csv",
            "suppliers.csv",
        ]
    assert "products: 0 new, 0 changed, 2 unchanged, 0 error" in report
    assert "loops: 0 new, 0 changed, 2 unchanged, 0 error" in report
    assert "Imported." in report


def test_the_command_is_a_dry_run_unless_told_to_commit(plant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    products = tmp_path / "products.csv"
    _run("export_masterdata", str(tmp_path), "--kind", "products")
    products.write_text(products.read_text().replace("F-100,Product", "F-100,Renamed", 1))
    original = Product.objects.get(sku="F-100").name

    dry = _run("import_masterdata", str(products))
    assert "row 3 F-100: changed" in dry and "Dry run: nothing was saved" in dry
    assert Product.objects.get(sku="F-100").name == original

    applied = _run("import_masterdata", str(products), "--commit")
    assert "Imported." in applied
    assert Product.objects.get(sku="F-100").name.startswith("Renamed")


def test_a_bad_row_fails_the_command_naming_row_and_column(plant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    loops = tmp_path / "new-loops.csv"
    loops.write_text(
        "product,location,container_quantity,card_count,safety_factor\n"
        "C-100,sm-main,10,4,0.2\n"
        "GHOST,sm-main,10,2,0.2\n"
    )
    moves = StockMove.objects.count()
    out = io.StringIO()

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_masterdata", str(loops), "--kind", "loops", "--commit", stdout=out)

    assert "row 3 GHOST / sm-main: error" in out.getvalue()
    assert "column product: Unknown product 'GHOST'." in out.getvalue()
    assert StockMove.objects.count() == moves and KanbanLoop.objects.count() == 2


def test_templates_and_refusals(plant, tmp_path: Path, planner) -> None:  # type: ignore[no-untyped-def]
    _run("export_masterdata", str(tmp_path / "template.xlsx"), "--template")
    assert (tmp_path / "template.xlsx").stat().st_size > 0
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_masterdata", str(tmp_path / "missing.xlsx"))
    (tmp_path / "widgets.csv").write_text("code\nx\n")
    with pytest.raises(CommandError, match="Unknown kind 'widgets'"):
        call_command("import_masterdata", str(tmp_path / "widgets.csv"))
    with pytest.raises(CommandError, match="No user named"):
        call_command("import_masterdata", str(tmp_path / "template.xlsx"), "--user", "nobody")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="Not an XLSX workbook"):
        call_command("import_masterdata", str(tmp_path / "broken.xlsx"))


def test_commit_records_the_user(plant, tmp_path: Path, planner) -> None:  # type: ignore[no-untyped-def]
    ProductFactory(sku="N-1", line=plant.fab, supermarket=plant.supermarket)
    (tmp_path / "loops.csv").write_text(
        "product,location,container_quantity,card_count,safety_factor\nN-1,sm-main,5,2,0.2\n"
    )
    _run("import_masterdata", str(tmp_path / "loops.csv"), "--commit", "--user", planner.username)

    move = StockMove.objects.get(product__sku="N-1")
    assert move.quantity == Decimal("10") and move.created_by == planner
