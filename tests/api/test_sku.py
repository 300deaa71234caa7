"""The documented SKU pattern holds on every path that makes a product."""

from __future__ import annotations

import pytest

from production.errors import DomainError
from production.models import Product
from production.services.products import product_create
from tests.api.conftest import problem_fields

BAD_SKUS = ["A/B", "<script>x</script>", "-lead", "a b", "", "x" * 65, "É-1"]


def product_body(sku: str) -> dict:
    return {
        "sku": sku,
        "name": "Gadget",
        "line": "assembly",
        "supermarket": "sm-main",
        "container_quantity": "4",
        "lead_time_days": "1",
    }


@pytest.mark.parametrize("sku", BAD_SKUS)
def test_the_api_refuses_a_bad_sku_naming_the_field(planner_api, plant, sku):
    response = planner_api.post("/api/v1/products/", product_body(sku), format="json")
    assert response.status_code == 400, response.content
    assert problem_fields(response) == {"sku"}
    assert not Product.objects.filter(name="Gadget").exists()


def test_the_api_takes_a_good_sku(planner_api, plant):
    response = planner_api.post("/api/v1/products/", product_body("G_2.00-x"), format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("sku", ["A/B", "<b>x</b>", "A-1\n"])
def test_the_service_refuses_a_bad_sku(plant, sku):
    with pytest.raises(DomainError) as refused:
        product_create(
            sku=sku,
            name="Gadget",
            line=plant.assembly,
            supermarket=plant.supermarket,
            container_quantity=4,
            lead_time_days=1,
        )
    assert refused.value.field == "sku"
    assert not Product.objects.filter(name="Gadget").exists()
