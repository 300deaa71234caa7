"""The audit trail through the admin: each form's save, change and delete leaves history
rows naming who made it, readable on the row's History page with a diff of the fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from kanban.models import KanbanLoop
from production.models import BomLine, Location, Product
from production.supply.models import Supplier
from production.webhooks.models import WebhookSubscription
from tests.factories import ProductFactory, UserFactory
from tests.test_admin import line_change_data, loop_add_data, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_planner(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="paula", roles=["planner"], is_staff=True)


@pytest.fixture
def planner_client(client: Client, staff_planner) -> Client:  # type: ignore[no-untyped-def]
    client.force_login(staff_planner)
    return client


@pytest.fixture
def admin_client_(client: Client, admin_user) -> Client:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    return client


def trail(model: Any, **lookup: Any) -> list[tuple[str, str | None]]:
    rows = model.history.filter(**lookup).order_by("history_id").select_related("history_user")
    return [(h.history_type, h.history_user.username if h.history_user else None) for h in rows]


def test_a_location_added_changed_and_deleted_in_the_admin(admin_client_: Client) -> None:
    data = {"code": "wh-1", "name": "Warehouse", "kind": "warehouse"}
    assert admin_client_.post(url("production.location", "add"), data).status_code == 302
    location = Location.objects.get(code="wh-1")
    change = url("production.location", "change", location.pk)
    assert admin_client_.post(change, data | {"name": "Big warehouse"}).status_code == 302
    delete = url("production.location", "delete", location.pk)
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 302
    assert trail(Location, code="wh-1") == [("+", "ada"), ("~", "ada"), ("-", "ada")]
    before, after = Location.history.filter(code="wh-1").order_by("history_id")[:2]
    assert (before.name, after.name) == ("Warehouse", "Big warehouse")


def test_a_supplier_added_changed_and_deleted_in_the_admin(admin_client_: Client) -> None:
    data = {"code": "acme", "name": "Acme", "lead_time_days": "5", "email": ""}
    assert admin_client_.post(url("production.supplier", "add"), data).status_code == 302
    supplier = Supplier.objects.get(code="acme")
    change = url("production.supplier", "change", supplier.pk)
    assert admin_client_.post(change, data | {"lead_time_days": "6"}).status_code == 302
    delete = url("production.supplier", "delete", supplier.pk)
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 302
    assert trail(Supplier, code="acme") == [("+", "ada"), ("~", "ada"), ("-", "ada")]


def product_change_data(product: Product, bom: BomLine, **extra: Any) -> dict[str, Any]:
    data = {
        "sku": product.sku,
        "name": product.name,
        "unit": product.unit,
        "line": product.line_id,
        "supermarket": product.supermarket_id,
        "container_quantity": str(product.container_quantity),
        "lead_time_days": str(product.lead_time_days),
        "service_level": str(product.service_level),
        "lot_sizing": product.lot_sizing,
        "setup_cost": str(product.setup_cost),
        "holding_cost_per_unit_day": str(product.holding_cost_per_unit_day),
        "bom_lines-TOTAL_FORMS": "1",
        "bom_lines-INITIAL_FORMS": "1",
        "bom_lines-0-id": bom.pk,
        "bom_lines-0-parent": product.pk,
        "bom_lines-0-component": bom.component_id,
        "bom_lines-0-quantity": str(bom.quantity),
    }
    return data | extra


def test_a_product_and_its_bom_changed_in_the_admin_and_read_on_its_history_page(
    plant, planner_client: Client, staff_planner
) -> None:  # type: ignore[no-untyped-def]
    product, bom = plant.finished, plant.finished.bom_lines.get()
    change = url("production.product", "change", product.pk)
    data = product_change_data(product, bom, name="Pump XL", **{"bom_lines-0-quantity": "4"})
    response = planner_client.post(change, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert trail(Product, id=product.pk) == [("+", None), ("~", "paula")]
    assert trail(BomLine, id=bom.pk) == [("+", None), ("~", "paula")]

    page = planner_client.get(url("production.product", "history", product.pk))
    content = page.content.decode()
    assert page.status_code == 200
    assert "Pump XL" in content and product.name in content and "paula" in content
    # Going back to an old version would write around the services: refused.
    version = product.history.earliest("history_id").history_id
    old = f"{change.removesuffix('change/')}history/{version}/"
    assert planner_client.get(old).status_code == 200
    assert planner_client.post(old, data).status_code == 403
    assert Product.objects.get(pk=product.pk).name == "Pump XL"


def test_a_line_and_a_loop_in_the_admin(plant, planner_client: Client, staff_planner) -> None:  # type: ignore[no-untyped-def]
    change = url("production.productionline", "change", plant.fab.pk)
    assert (
        planner_client.post(change, line_change_data(plant.fab, wip_limit="9")).status_code == 302
    )
    assert trail(type(plant.fab), id=plant.fab.pk)[-1] == ("~", "paula")

    product = ProductFactory(sku="N-1", line=plant.fab, supermarket=plant.supermarket)
    data = loop_add_data(product, container_quantity="8")
    assert planner_client.post(url("kanban.kanbanloop", "add"), data).status_code == 302
    loop = KanbanLoop.objects.get(product=product)
    assert trail(KanbanLoop, id=loop.pk) == [("+", "paula")]


def test_a_webhook_subscription_made_in_the_admin(admin_client_: Client, admin_user) -> None:  # type: ignore[no-untyped-def]
    data = {"url": "https://hooks.erp.example/in", "event_types": ["demand.received"]}
    response = admin_client_.post(url("production.webhooksubscription", "add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    subscription = WebhookSubscription.objects.get()
    change = url("production.webhooksubscription", "change", subscription.pk)
    edited = admin_client_.post(change, data | {"description": "orders", "owner": ""})
    assert edited.status_code == 302, edited.content.decode()[:2000]
    assert trail(WebhookSubscription, id=subscription.pk) == [("+", "ada"), ("~", "ada")]


def test_roles_given_in_the_admin_are_in_the_users_history(admin_client_: Client) -> None:
    User = get_user_model()
    user = UserFactory(username="newbie")
    planners = Group.objects.get_or_create(name="planner")[0]
    page = url("auth.user", "change", user.pk)
    data = {
        "username": "newbie",
        "groups": [planners.pk],
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    }
    response = admin_client_.post(page, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    latest = User.history.filter(id=user.pk).latest("history_id")
    assert latest.history_user.username == "ada"
    assert [g.group_id for g in latest.groups.all()] == [planners.pk]
    history_page = admin_client_.get(url("auth.user", "history", user.pk))
    assert history_page.status_code == 200 and "planner" in history_page.content.decode()
    # Logging in is not a change of the user's data.
    rows = User.history.filter(id=user.pk).count()
    login = Client().post("/login/", {"username": "newbie", "password": "pullboard-test-pw"})
    assert login.status_code == 302
    user.refresh_from_db()
    assert user.last_login is not None
    assert User.history.filter(id=user.pk).count() == rows
    assert not hasattr(latest, "password")


def test_history_pages_are_for_who_may_open_the_row(plant, client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = client.get(url("production.product", "history", plant.finished.pk))
    assert response.status_code in (302, 403)
    assert Decimal(plant.finished.container_quantity) == Decimal("5")
