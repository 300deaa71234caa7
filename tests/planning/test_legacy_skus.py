"""A SKU outside the pattern (stored before the pattern held everywhere) never breaks a page,
and the admin no longer accepts one."""

from __future__ import annotations

from datetime import date

import pytest

from production.models import Product
from production.planning.models import ProductForecast
from tests.factories import LineFactory, LocationFactory, ProductFactory

LEGACY = "PUMP/50<b>"


@pytest.fixture
def legacy_product(db) -> Product:
    product = ProductFactory(sku=LEGACY, line=LineFactory(code="press"))  # the ORM checks nothing
    ProductForecast.objects.create(
        product=product,
        method="naive",
        start_date=date(2026, 3, 2),
        values=[1.0] * 56,
        sigma_daily=1.0,
        scores={},
    )
    return product


def test_the_forecast_pages_of_a_sku_with_a_slash_answer(client, planner, legacy_product):
    client.force_login(planner)
    listing = client.get("/planning/forecasts/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "PUMP/50&lt;b&gt;" in page and "<b>" not in page.split("PUMP/50")[1][:10]
    detail = client.get("/planning/forecasts/PUMP/50%3Cb%3E/")
    assert detail.status_code == 200
    assert "PUMP/50&lt;b&gt;" in detail.content.decode()


def test_an_admin_can_delete_a_product_with_such_a_sku(client, admin_user, legacy_product):
    client.force_login(admin_user)
    url = f"/admin/production/product/{legacy_product.pk}/delete/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Product.objects.filter(pk=legacy_product.pk).exists()


@pytest.mark.parametrize("sku", ["A/B", "<script>", "-x"])
def test_the_admin_refuses_a_bad_sku(client, admin_user, sku):
    line = LineFactory(code="press")
    supermarket = LocationFactory(code="sm")
    client.force_login(admin_user)
    response = client.post(
        "/admin/production/product/add/",
        {
            "sku": sku,
            "name": "Gadget",
            "unit": "pcs",
            "line": line.pk,
            "supermarket": supermarket.pk,
            "container_quantity": "4",
            "lead_time_days": "1",
            "service_level": "0.95",
            "lot_sizing": "containers",
            "setup_cost": "50",
            "holding_cost_per_unit_day": "0.01",
            "bom_lines-TOTAL_FORMS": "0",
            "bom_lines-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "SKU starts with a letter or digit" in response.content.decode()
    assert not Product.objects.filter(name="Gadget").exists()
