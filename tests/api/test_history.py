"""The audit trail over the API: `GET .../history/` of products, lines, locations, loops,
suppliers and webhook subscriptions, with who, when and each changed field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kanban.models import KanbanLoop
from kanban.services import loop_hold, loops_size
from production.models import BomLine, Location, Product, ProductionLine
from production.services import line_switch_mode
from production.services.lines import line_mode_switches_apply_due
from production.services.products import product_update
from production.supply.models import Supplier
from production.webhooks.models import WebhookSubscription
from tests.api.conftest import token_client
from tests.factories import UserFactory


def changes_of(entry: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {c["field"]: (c["before"], c["after"]) for c in entry["changes"]}


def history(client: Any, url: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_token_patch_of_a_product_records_the_tokens_user(planner_api, planner, erp, plant):
    response = planner_api.patch(
        "/api/v1/products/F-100/",
        {"name": "Pump 2", "line": "fab", "bom": [{"component": "C-100", "quantity": "3"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    latest = Product.history.filter(sku="F-100").latest("history_id")
    assert (latest.history_type, latest.history_user) == ("~", planner)

    entries = history(erp, "/api/v1/products/F-100/history/")
    assert [e["type"] for e in entries] == ["changed", "created"]
    assert entries[0]["user"] == "pete"
    # Only what changed, foreign keys by the codes the API uses.
    assert changes_of(entries[0]) == {
        "name": (plant.finished.name, "Pump 2"),
        "line": ("assembly", "fab"),
    }
    created = changes_of(entries[1])
    assert created["sku"] == (None, "F-100") and created["container_quantity"] == (None, "5.000")
    # The BOM line changed in place: its history says 2 -> 3, by the planner.
    bom = BomLine.history.filter(parent_id=plant.finished.pk).order_by("history_id")
    assert [(h.history_type, h.quantity, h.history_user) for h in bom][-1] == (
        "~",
        Decimal("3.000"),
        planner,
    )


def test_a_product_created_and_its_bom_emptied_over_the_api(planner_api, planner, plant):
    body = {
        "sku": "G-200",
        "name": "Gadget",
        "line": "assembly",
        "supermarket": "sm-main",
        "container_quantity": "4",
        "lead_time_days": "1.5",
        "bom": [{"component": "C-100", "quantity": "3"}],
    }
    assert planner_api.post("/api/v1/products/", body, format="json").status_code == 201
    assert (
        planner_api.patch("/api/v1/products/G-200/", {"bom": []}, format="json").status_code == 200
    )
    product = Product.objects.get(sku="G-200")
    rows = BomLine.history.filter(parent_id=product.pk).order_by("history_id")
    assert [(h.history_type, h.history_user) for h in rows] == [("+", planner), ("-", planner)]
    # Nothing changed on the product itself: one row, its creation.
    assert [h.history_type for h in product.history.all()] == ["+"]


def test_line_changes_and_mode_switches_are_in_its_history(planner_api, planner, erp, plant):
    assert (
        planner_api.patch("/api/v1/lines/fab/", {"wip_limit": 7}, format="json").status_code == 200
    )
    switched = planner_api.post(
        "/api/v1/lines/fab/switch-mode/", {"mode": "push", "reason": "peak"}, format="json"
    )
    assert switched.status_code == 200
    entries = history(erp, "/api/v1/lines/fab/history/")
    assert [(e["type"], e["user"]) for e in entries[:2]] == [("changed", "pete")] * 2
    assert changes_of(entries[0]) == {"mode": ("pull", "push")}
    assert changes_of(entries[1]) == {"wip_limit": (3, 7)}


def test_a_switch_dated_ahead_names_its_planner_when_a_task_applies_it(planner, plant):
    from datetime import timedelta

    from django.utils import timezone

    line_switch_mode(
        line=plant.fab,
        mode="push",
        reason="next week",
        effective_at=timezone.now() + timedelta(hours=1),
        actor_id=planner.pk,
    )
    assert ProductionLine.history.filter(code="fab", mode="push").count() == 0
    line_mode_switches_apply_due(now=timezone.now() + timedelta(hours=2))  # beat's task, no request
    row = ProductionLine.history.filter(code="fab").latest("history_id")
    assert (row.mode, row.history_user) == ("push", planner)


def test_a_service_called_without_a_request_records_its_actor(planner, plant):
    product_update(product=plant.component, name="Bracket", actor_id=planner.pk)
    assert plant.component.history.latest("history_id").history_user == planner
    product_update(product=plant.component, name="Bracket 2")  # a system change: nobody
    assert plant.component.history.latest("history_id").history_user is None


def test_loop_history_leaves_out_sizing_and_holds(planner, erp, plant):
    loop = plant.finished_loop
    loops_size(loops=KanbanLoop.objects.filter(pk=loop.pk))
    loop_hold(loop_id=loop.pk, reason="machine_down", actor_id=planner.pk)  # a HoldEvent's job
    loop.refresh_from_db()
    loop.safety_factor = Decimal("0.5")
    loop.save()  # a save of every field: only what changed is listed
    entries = history(erp, f"/api/v1/loops/{plant.finished_loop.pk}/history/")
    assert [e["type"] for e in entries] == ["changed", "created"]
    assert changes_of(entries[0]) == {"safety_factor": ("0.200", "0.500")}
    assert "recommended_card_count" not in changes_of(entries[1])
    assert changes_of(entries[1])["product"] == (None, "F-100")


def test_location_and_supplier_history(erp, admin_user, plant):
    location = Location.objects.get(code="sm-main")
    location.name = "Main supermarket"
    location._history_user = admin_user  # as the admin's form does
    location.save()
    entries = history(erp, "/api/v1/locations/sm-main/history/")
    assert entries[0]["user"] == "ada" and changes_of(entries[0])["name"][1] == "Main supermarket"

    supplier = Supplier.objects.create(code="acme", name="Acme", lead_time_days=Decimal("5"))
    supplier.lead_time_days = Decimal("7")
    supplier.save()
    entries = history(erp, "/api/v1/suppliers/acme/history/")
    assert [e["type"] for e in entries] == ["changed", "created"]
    assert changes_of(entries[0]) == {"lead_time_days": ("5.00", "7.00")}
    assert erp.get("/api/v1/suppliers/nobody/history/").status_code == 404


def test_webhook_subscription_history_for_its_owner_without_the_secret(erp, integration_user, db):
    created = erp.post(
        "/api/v1/webhooks/",
        {"url": "https://hooks.erp.example/in", "event_types": ["demand.received"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert (
        erp.patch(f"/api/v1/webhooks/{pk}/", {"is_active": False}, format="json").status_code == 200
    )
    rotated = erp.post(f"/api/v1/webhooks/{pk}/rotate-secret/")
    assert rotated.status_code == 200
    entries = history(erp, f"/api/v1/webhooks/{pk}/history/")
    assert [(e["type"], e["user"]) for e in entries] == [("changed", "erp"), ("created", "erp")]
    assert changes_of(entries[0]) == {"is_active": (True, False)}
    assert "secret" not in changes_of(entries[1])  # shown once, never kept twice

    other = token_client(UserFactory(username="erp2", roles=["integration"]))
    assert other.get(f"/api/v1/webhooks/{pk}/history/").status_code == 404
    assert erp.delete(f"/api/v1/webhooks/{pk}/").status_code == 204
    gone = WebhookSubscription.history.filter(id=pk).latest("history_id")
    assert (gone.history_type, gone.history_user) == ("-", integration_user)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/products/F-100/history/",
        "/api/v1/lines/fab/history/",
        "/api/v1/locations/sm-main/history/",
        "/api/v1/loops/{loop}/history/",
    ],
)
def test_who_may_read_history(
    url, planner_api, erp, operator_api, nobody_api, admin_user, plant, client
):
    url = url.format(loop=plant.finished_loop.pk)
    assert planner_api.get(url).status_code == 200
    assert erp.get(url).status_code == 200
    assert token_client(admin_user).get(url).status_code == 200
    denied = operator_api.get(url)
    assert denied.status_code == 403 and "planner" in denied.json()["detail"]
    assert nobody_api.get(url).status_code == 403
    assert client.get(url).status_code in (401, 403)


def test_history_pages_with_a_cursor_and_a_constant_number_of_queries(planner, erp, plant):
    def change_product(times: int) -> None:
        for n in range(times):
            product_update(product=plant.finished, name=f"Pump {n}", actor_id=planner.pk)

    change_product(3)
    history(erp, "/api/v1/lines/fab/history/")  # the token and its roles, remembered
    with CaptureQueriesContext(connection) as few:
        assert len(history(erp, "/api/v1/products/F-100/history/")) == 4
    change_product(300)
    with CaptureQueriesContext(connection) as many:
        entries = history(erp, "/api/v1/products/F-100/history/", page_size=250)
    assert len(entries) == 250
    assert len(many) == len(few) <= 6, [q["sql"][:120] for q in many]
    assert changes_of(entries[0]) == {"name": ("Pump 298", "Pump 299")}

    first = erp.get("/api/v1/products/F-100/history/", {"page_size": 2}).json()
    second = erp.get(first["next"]).json()
    assert [e["id"] for e in first["results"]] > [e["id"] for e in second["results"]]
    bad = erp.get("/api/v1/products/F-100/history/", {"page_size": 0})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "page_size"


def test_a_token_request_is_recorded_without_the_services_actor(
    planner_api, planner, plant, monkeypatch
):
    """DRF authenticates the token lazily, on the request it wraps; simple-history's
    middleware reads the Django request: the token's user still reaches the history row."""
    from production.api.views import ProductViewSet

    monkeypatch.setattr(ProductViewSet, "actor_id", lambda self: None)
    response = planner_api.patch("/api/v1/products/C-100/", {"unit": "kg"}, format="json")
    assert response.status_code == 200
    latest = Product.history.filter(sku="C-100").latest("history_id")
    assert (latest.unit, latest.history_user) == ("kg", planner)
