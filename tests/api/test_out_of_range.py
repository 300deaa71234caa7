"""A value the database cannot hold is a 400 naming the field, never a bare "out of range".

The serializers bound what a product's container leads to (a full loop's stock, each
component a container's work order consumes); past those, a database value error still
answers 400, naming the numbers the request sent.
"""

from __future__ import annotations

from django.db import connection

from production.models import Product
from tests.api.conftest import problem_fields

BIG = "99999999999.000"  # fits the column, but a loop of such containers does not


def product(sku: str, **extra: object) -> dict[str, object]:
    return {
        "sku": sku,
        "name": sku,
        "unit": "pcs",
        "line": "assembly",
        "supermarket": "sm-main",
        "container_quantity": "5",
        "lead_time_days": "1.00",
        **extra,
    }


def test_a_container_whose_full_loop_overflows_the_ledger_is_refused(planner_api, plant):
    response = planner_api.post(
        "/api/v1/products/", product("P-BIG", container_quantity=BIG), format="json"
    )
    assert response.status_code == 400, response.content
    assert problem_fields(response) == {"container_quantity"}
    assert not Product.objects.filter(sku="P-BIG").exists()


def test_a_bom_whose_consumption_overflows_the_ledger_is_refused(planner_api, plant):
    body = product(
        "P-HEAVY",
        container_quantity="400000000",
        bom=[{"component": "C-100", "quantity": "1"}, {"component": "C-100", "quantity": "500"}],
    )
    response = planner_api.post("/api/v1/products/", body, format="json")
    assert response.status_code == 400, response.content
    assert problem_fields(response) == {"bom[1].quantity"}
    assert not Product.objects.filter(sku="P-HEAVY").exists()

    # Raising the container of a product whose BOM is already there: the same rule.
    body = product("P-OK", bom=[{"component": "C-100", "quantity": "500"}])
    assert planner_api.post("/api/v1/products/", body, format="json").status_code == 201
    patched = planner_api.patch(
        "/api/v1/products/P-OK/", {"container_quantity": "400000000"}, format="json"
    )
    assert patched.status_code == 400
    assert problem_fields(patched) == {"container_quantity"}
    assert Product.objects.get(sku="P-OK").container_quantity == 5


def test_a_database_value_error_names_the_numbers_sent(planner_api, plant, monkeypatch):
    """Past the serializers' bounds: PostgreSQL's own overflow (it names no column)."""
    import production.api.views as views

    def overflowing(**kwargs: object) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1e20::numeric(14, 3)")

    monkeypatch.setattr(views, "line_update", overflowing)
    response = planner_api.patch(
        "/api/v1/lines/assembly/", {"name": "Assembly", "capacity_per_day": "80"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "out_of_range"
    assert problem_fields(response) == {"capacity_per_day"}
    assert "capacity_per_day" in body["detail"]


def test_text_with_a_nul_character_names_its_field(planner_api, plant):
    """A code with a NUL character looked up in PostgreSQL (which cannot hold NUL, and
    says so naming no column): 400 naming the field, and not called "out of range"."""
    body = product("P-NUL", line="assem\x00bly")
    response = planner_api.post("/api/v1/products/", body, format="json")
    assert response.status_code == 400, response.content
    assert problem_fields(response) == {"line"}
    assert "NUL" in response.json()["errors"][0]["message"]
    assert not Product.objects.filter(sku="P-NUL").exists()
