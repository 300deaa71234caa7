"""Products (by SKU), lines (by code) with the mode switch, stock and backorders."""

from __future__ import annotations

from decimal import Decimal

from production.models import LineModeSwitch, Product, ProductionLine
from production.services import demand_process_pending, demand_record
from tests.api.conftest import problem_fields


def test_products_read_by_sku_with_their_bom(erp, plant, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        listed = erp.get("/api/v1/products/").json()["results"]
    assert [p["sku"] for p in listed] == ["F-100", "C-100"]  # newest first
    product = erp.get("/api/v1/products/F-100/").json()
    assert product["line"] == "assembly" and product["container_quantity"] == "5.000"
    assert product["bom"] == [{"component": "C-100", "quantity": "2.000"}]
    assert erp.get("/api/v1/products/", {"line": "fab"}).json()["results"][0]["sku"] == "C-100"


def test_a_planner_creates_and_changes_a_product(planner_api, plant):
    body = {
        "sku": "G-200",
        "name": "Gadget",
        "line": "assembly",
        "supermarket": "sm-main",
        "container_quantity": "4",
        "lead_time_days": "1.5",
        "bom": [{"component": "C-100", "quantity": "3"}],
    }
    created = planner_api.post("/api/v1/products/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["bom"] == [{"component": "C-100", "quantity": "3.000"}]
    again = planner_api.post("/api/v1/products/", body, format="json")
    assert again.status_code == 400 and problem_fields(again) == {"sku"}
    changed = planner_api.patch(
        "/api/v1/products/G-200/", {"name": "Gadget 2", "bom": []}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["name"] == "Gadget 2" and changed.json()["bom"] == []


def test_product_input_errors_name_fields(planner_api, plant):
    body = {
        "sku": "H-1",
        "name": "H",
        "line": "nowhere",
        "supermarket": "sm-main",
        "container_quantity": "0",
        "lead_time_days": "1",
        "bom": [{"component": "H-1", "quantity": "1"}],
    }
    response = planner_api.post("/api/v1/products/", body, format="json")
    assert response.status_code == 400
    assert problem_fields(response) == {"line", "container_quantity", "bom[0].component"}
    assert not Product.objects.filter(sku="H-1").exists()


def test_the_erp_cannot_write_products_or_lines(erp, plant):
    assert erp.patch("/api/v1/products/F-100/", {"name": "x"}, format="json").status_code == 403
    assert erp.patch("/api/v1/lines/fab/", {"wip_limit": 9}, format="json").status_code == 403
    assert Product.objects.get(sku="F-100").name != "x"


def test_a_planner_switches_a_line_with_a_reason(planner_api, erp, plant):
    url = "/api/v1/lines/fab/switch-mode/"
    assert erp.post(url, {"mode": "push", "reason": "x"}, format="json").status_code == 403
    missing = planner_api.post(url, {"mode": "push"}, format="json")
    assert missing.status_code == 400 and problem_fields(missing) == {"reason"}
    response = planner_api.post(
        url,
        {"mode": "push", "reason": "seasonal peak", "effective_at": "2026-12-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["to_mode"] == "push"
    assert ProductionLine.objects.get(code="fab").mode == "push"
    assert LineModeSwitch.objects.get().reason == "seasonal peak"
    same = planner_api.post(url, {"mode": "push", "reason": "again"}, format="json")
    assert same.status_code == 400 and problem_fields(same) == {"mode"}


def test_stock_levels_ledger_and_backorders(erp, plant, django_assert_max_num_queries):
    demand_record(product=plant.finished, quantity=Decimal("20"), external_id="big")
    demand_process_pending()
    with django_assert_max_num_queries(8):
        levels = erp.get("/api/v1/stock/", {"product": "F-100"}).json()["results"]
    assert [(lv["location"], lv["on_hand"]) for lv in levels] == [("sm-main", "0.000")]
    with django_assert_max_num_queries(8):
        ledger = erp.get("/api/v1/stock/ledger/", {"product": "F-100", "kind": "consumption"})
    assert [m["quantity"] for m in ledger.json()["results"]] == ["-15.000"]
    with django_assert_max_num_queries(8):
        backorders = erp.get("/api/v1/backorders/").json()["results"]
    assert [(b["external_id"], b["open_backorder_quantity"]) for b in backorders] == [
        ("big", "5.000")
    ]
