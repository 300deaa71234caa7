"""Locations over the API (by code), a product's default supermarket, and archiving
products and locations: nothing with history is deleted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from production.models import DemandEvent, Location, Product
from tests.api.conftest import problem_fields
from tests.factories import LocationFactory

PRODUCT = {
    "sku": "N-1",
    "name": "New part",
    "line": "assembly",
    "container_quantity": "10",
    "lead_time_days": "1",
}


def test_a_planner_lists_creates_changes_and_archives_a_location(planner_api, operator_api, plant):
    created = planner_api.post(
        "/api/v1/locations/",
        {"code": "wh-1", "name": "Warehouse 1", "kind": "warehouse"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json() == {
        "code": "wh-1",
        "name": "Warehouse 1",
        "kind": "warehouse",
        "archived_at": None,
    }
    listed = operator_api.get("/api/v1/locations/", {"kind": "warehouse"}).json()["results"]
    assert [row["code"] for row in listed] == ["wh-1"], "operators read locations"
    changed = planner_api.patch("/api/v1/locations/wh-1/", {"name": "Main WH"}, format="json")
    assert changed.status_code == 200 and changed.json()["name"] == "Main WH"
    archived = planner_api.delete("/api/v1/locations/wh-1/")
    assert archived.status_code == 200 and archived.json()["archived_at"]
    location = Location.objects.get(code="wh-1")
    assert location.archived_at is not None, "archived, not deleted"
    again = planner_api.delete("/api/v1/locations/wh-1/")
    assert (
        again.status_code == 200 and again.json()["archived_at"] == archived.json()["archived_at"]
    )
    listed = operator_api.get("/api/v1/locations/", {"archived": "false"}).json()["results"]
    assert "wh-1" not in [row["code"] for row in listed]


def test_location_bad_input_names_the_field_and_changes_nothing(planner_api, plant):
    twice = planner_api.post(
        "/api/v1/locations/", {"code": "sm-main", "name": "Again"}, format="json"
    )
    assert twice.status_code == 400 and problem_fields(twice) == {"code"}
    kind = planner_api.post(
        "/api/v1/locations/", {"code": "x-1", "name": "X", "kind": "attic"}, format="json"
    )
    assert kind.status_code == 400 and problem_fields(kind) == {"kind"}
    assert not Location.objects.filter(code="x-1").exists()
    # A supermarket that products keep their stock in cannot be archived or re-kinded.
    in_use = planner_api.delete("/api/v1/locations/sm-main/")
    assert in_use.status_code == 409 and "F-100" in in_use.json()["detail"]
    rekind = planner_api.patch("/api/v1/locations/sm-main/", {"kind": "store"}, format="json")
    assert rekind.status_code == 409 and problem_fields(rekind) == {"kind"}
    assert Location.objects.get(code="sm-main").archived_at is None


def test_only_planners_write_locations(erp, operator_api, nobody_api, plant):
    body = {"code": "ls-1", "name": "Line side"}
    for client in (erp, operator_api, nobody_api):
        assert client.post("/api/v1/locations/", body, format="json").status_code == 403
        assert client.delete("/api/v1/locations/sm-main/").status_code == 403
    assert erp.get("/api/v1/locations/").status_code == 200
    assert nobody_api.get("/api/v1/locations/").status_code == 403
    assert not Location.objects.filter(code="ls-1").exists()


def test_location_list_has_a_query_cap(operator_api, plant, django_assert_max_num_queries):
    Location.objects.bulk_create(Location(code=f"loc-{n}", name=f"L {n}") for n in range(300))
    with django_assert_max_num_queries(6):
        page = operator_api.get("/api/v1/locations/", {"page_size": 300}).json()
    assert len(page["results"]) == 300


def test_a_product_without_supermarket_gets_the_only_one(planner_api, plant):
    created = planner_api.post("/api/v1/products/", PRODUCT, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["supermarket"] == "sm-main"


def test_the_default_supermarket_setting_picks_one_of_several(planner_api, plant, settings):
    LocationFactory(code="sm-east")
    ambiguous = planner_api.post("/api/v1/products/", PRODUCT, format="json")
    assert ambiguous.status_code == 400 and problem_fields(ambiguous) == {"supermarket"}
    assert "PULLBOARD_DEFAULT_SUPERMARKET" in ambiguous.json()["detail"]
    assert not Product.objects.filter(sku="N-1").exists()
    settings.PULLBOARD = {**settings.PULLBOARD, "DEFAULT_SUPERMARKET": "sm-east"}
    created = planner_api.post("/api/v1/products/", PRODUCT, format="json")
    assert created.status_code == 201 and created.json()["supermarket"] == "sm-east"


def test_no_supermarket_at_all_says_how_to_set_one(planner_api, plant):
    Location.objects.filter(code="sm-main").update(kind="store")
    response = planner_api.post("/api/v1/products/", PRODUCT, format="json")
    assert response.status_code == 400 and problem_fields(response) == {"supermarket"}
    assert "supermarket" in response.json()["detail"]


def test_references_by_unknown_or_archived_codes_are_refused(planner_api, plant):
    unknown = planner_api.post(
        "/api/v1/products/", {**PRODUCT, "supermarket": "sm-nowhere"}, format="json"
    )
    assert unknown.status_code == 400 and problem_fields(unknown) == {"supermarket"}
    assert "sm-nowhere" in str(unknown.json())
    LocationFactory(code="sm-old", archived_at="2026-01-01T00:00:00Z")
    archived = planner_api.post(
        "/api/v1/products/", {**PRODUCT, "supermarket": "sm-old"}, format="json"
    )
    assert archived.status_code == 409 and problem_fields(archived) == {"supermarket"}
    moved = planner_api.patch("/api/v1/products/F-100/", {"supermarket": "sm-old"}, format="json")
    assert moved.status_code == 409 and problem_fields(moved) == {"supermarket"}
    assert not Product.objects.filter(sku="N-1").exists()
    assert Product.objects.get(sku="F-100").supermarket.code == "sm-main"


def test_an_archived_product_takes_no_new_demand_and_says_so(planner_api, erp, plant):
    erp.post(
        "/api/v1/demand-events/",
        {"external_id": "before", "product": "F-100", "quantity": "1"},
        format="json",
    )
    in_bom = planner_api.delete("/api/v1/products/C-100/")
    assert in_bom.status_code == 409 and "F-100" in in_bom.json()["detail"]
    archived = planner_api.delete("/api/v1/products/F-100/")
    assert archived.status_code == 200 and archived.json()["archived_at"]
    assert Product.objects.filter(sku="F-100").exists(), "archived, not deleted"
    one = erp.post(
        "/api/v1/demand-events/",
        {"external_id": "after", "product": "F-100", "quantity": "1"},
        format="json",
    )
    assert one.status_code == 400 and problem_fields(one) == {"product"}
    assert "archived" in str(one.json())
    batch = erp.post(
        "/api/v1/demand-events/",
        [
            {"external_id": "b1", "product": "C-100", "quantity": "1"},
            {"external_id": "b2", "product": "F-100", "quantity": "1"},
        ],
        format="json",
    )
    assert batch.status_code == 400 and problem_fields(batch) == {"[1].product"}
    assert not DemandEvent.objects.filter(external_id__in=["after", "b1", "b2"]).exists()
    # A repeat of an event stored before the product was archived is still harmless.
    repeat = erp.post(
        "/api/v1/demand-events/",
        {"external_id": "before", "product": "F-100", "quantity": "1"},
        format="json",
    )
    assert repeat.status_code == 200 and repeat.json()["result"] == "duplicate"
    repeats = erp.post(
        "/api/v1/demand-events/",
        [{"external_id": "before", "product": "F-100", "quantity": "1"}],
        format="json",
    )
    assert repeats.status_code == 200 and repeats.json()["duplicates"] == 1
    assert DemandEvent.objects.filter(product__sku="F-100").count() == 1


@pytest.mark.django_db
def test_the_services_refuse_demand_for_an_archived_product(plant):
    from production.errors import DomainError
    from production.services import demand_record
    from production.services.locations import product_archive

    product_archive(product=plant.finished)
    plant.finished.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        demand_record(product=plant.finished, quantity=Decimal("1"), external_id="scan-1")
    assert refused.value.field == "product" and refused.value.code == "archived"
    assert not DemandEvent.objects.exists()
