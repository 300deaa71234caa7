"""Import and export in the admin: upload, a dry-run preview (each row new, changed,
unchanged or refused with its column), confirm; templates; who may do it."""

from __future__ import annotations

from decimal import Decimal

import pytest
import tablib
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kanban.models import KanbanLoop
from production.masterdata.files import export_datasets, read_workbook
from production.models import Product
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

CSV, XLSX = "0", "1"  # the admin's format choices, in MasterDataAdminMixin.import_formats


@pytest.fixture
def planner_client(client: Client) -> Client:
    client.force_login(UserFactory(username="paula", roles=["planner"], is_staff=True))
    return client


def _products_csv(**changes: str) -> bytes:
    """The products' export, with cells changed by `SKU.column`."""
    exported = export_datasets(["products"])["products"]
    edited = tablib.Dataset(headers=exported.headers)
    for row in exported.dict:
        edited.append([changes.get(f"{row['sku']}.{k}", v) for k, v in row.items()])
    return edited.export("csv").encode()


def test_preview_then_confirm_applies_exactly_the_changed_row(plant, planner_client) -> None:  # type: ignore[no-untyped-def]
    data = _products_csv(**{"F-100.lead_time_days": "4"})
    url = "/admin/production/product/import/"

    preview = planner_client.post(
        url, {"import_file": SimpleUploadedFile("products.csv", data), "format": CSV}
    )

    assert preview.status_code == 200
    result = preview.context["result"]
    assert [r.import_type for r in result.rows] == ["skip", "update"]  # C-100, F-100
    assert "Update" in preview.content.decode() and "Skipped" in preview.content.decode()
    assert Product.objects.get(sku="F-100").lead_time_days == Decimal("2")  # not yet
    confirm = preview.context["confirm_form"]

    done = planner_client.post("/admin/production/product/process_import/", confirm.initial)

    assert done.status_code == 302
    assert Product.objects.get(sku="F-100").lead_time_days == Decimal("4")
    assert Product.objects.get(sku="C-100").lead_time_days == Decimal("2")


def test_a_bad_row_shows_its_row_and_column_and_offers_no_confirm(plant, planner_client) -> None:  # type: ignore[no-untyped-def]
    data = _products_csv(**{"F-100.line": "nope", "C-100.name": "Renamed"})

    preview = planner_client.post(
        "/admin/production/product/import/",
        {"import_file": SimpleUploadedFile("products.csv", data), "format": CSV},
    )

    assert "confirm_form" not in preview.context
    (invalid,) = preview.context["result"].invalid_rows
    assert invalid.number == 2 and "line" in invalid.field_specific_errors
    body = preview.content.decode()
    assert "Unknown production line &#x27;nope&#x27;." in body
    assert Product.objects.get(sku="C-100").name != "Renamed"


def test_loops_import_in_the_admin_opens_a_loop_with_stock(plant, planner_client) -> None:  # type: ignore[no-untyped-def]
    ProductFactory(sku="N-1", line=plant.fab, supermarket=plant.supermarket)
    data = b"product,location,container_quantity,card_count,safety_factor\nN-1,sm-main,10,2,0.2\n"

    preview = planner_client.post(
        "/admin/kanban/kanbanloop/import/",
        {"import_file": SimpleUploadedFile("loops.csv", data), "format": CSV},
    )
    assert [r.import_type for r in preview.context["result"].rows] == ["new"]
    assert not KanbanLoop.objects.filter(product__sku="N-1").exists()
    planner_client.post(
        "/admin/kanban/kanbanloop/process_import/", preview.context["confirm_form"].initial
    )

    loop = KanbanLoop.objects.get(product__sku="N-1")
    assert loop.cards.count() == 2


@pytest.mark.parametrize("kind", ["product", "bomline", "location", "productionline"])
def test_templates_download_with_header_and_an_example_line(plant, planner_client, kind) -> None:  # type: ignore[no-untyped-def]
    csv = planner_client.get(f"/admin/production/{kind}/import-template/csv/")
    xlsx = planner_client.get(f"/admin/production/{kind}/import-template/xlsx/")

    assert csv.status_code == 200 and xlsx.status_code == 200
    lines = csv.content.decode().strip().splitlines()
    assert len(lines) == 2 and "," in lines[0]
    (sheet,) = read_workbook(xlsx.content).values()
    assert list(sheet.headers) == lines[0].split(",") and len(sheet) == 1
    assert (
        "import-template/csv/"
        in planner_client.get(f"/admin/production/{kind}/import/").content.decode()
    )


def test_export_from_the_admin_is_a_file_import_reads_back(plant, planner_client) -> None:  # type: ignore[no-untyped-def]
    response = planner_client.post(
        "/admin/production/product/export/", {"format": XLSX, "resource": "0"}
    )
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        form = response.context["form"]
        fields = {name: "on" for name in form.fields if name.startswith("productresource_")}
        response = planner_client.post(
            "/admin/production/product/export/", {"format": XLSX, "resource": "0", **fields}
        )
    assert response.status_code == 200
    (sheet,) = read_workbook(response.content, kind_name="products").values()
    assert sorted(sheet["sku"]) == ["C-100", "F-100"]


def test_who_may_import(plant, client: Client) -> None:  # type: ignore[no-untyped-def]
    viewer = UserFactory(username="vic", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_product"))
    client.force_login(viewer)
    assert client.get("/admin/production/product/import/").status_code == 403
    assert client.get("/admin/production/product/import-template/csv/").status_code == 403
    client.force_login(UserFactory(username="olga", roles=["operator"]))
    assert client.get("/admin/production/product/import/").status_code == 302  # to login


def test_loops_export_from_the_admin_imports_back_unchanged(plant, planner_client) -> None:  # type: ignore[no-untyped-def]
    response = planner_client.post(
        "/admin/kanban/kanbanloop/export/", {"format": CSV, "resource": "0"}
    )
    if response["Content-Type"].startswith("text/html"):
        form = response.context["form"]
        fields = {name: "on" for name in form.fields if name.startswith("loopresource_")}
        response = planner_client.post(
            "/admin/kanban/kanbanloop/export/", {"format": CSV, "resource": "0", **fields}
        )
    lines = response.content.decode().strip().splitlines()
    assert lines[0] == "product,location,container_quantity,card_count,safety_factor"
    assert sorted(line.split(",")[3] for line in lines[1:]) == ["3", "4"]

    preview = planner_client.post(
        "/admin/kanban/kanbanloop/import/",
        {"import_file": SimpleUploadedFile("loops.csv", response.content), "format": CSV},
    )
    assert [r.import_type for r in preview.context["result"].rows] == ["skip", "skip"]
