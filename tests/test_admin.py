"""The Django admin as a planner uses it: set-up data editable, ledgers read-only, and
every state change (mode switch, loop opening, sizing, work-order steps) through services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from kanban.models import CardEvent, CardStatus, KanbanCard, KanbanLoop
from kanban.services import card_move
from production.models import (
    DemandEvent,
    LineModeSwitch,
    MoveKind,
    ProductionLine,
    StockLevel,
    StockMove,
    WorkOrder,
    WorkOrderEvent,
)
from production.services import (
    demand_process_pending,
    demand_record,
    line_switch_mode,
    work_order_create,
)
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

READ_ONLY = [
    "production.stockmove",
    "production.stocklevel",
    "production.workorderevent",
    "production.linemodeswitch",
    "production.demandevent",
    "kanban.kanbancard",
    "kanban.cardevent",
    "kanban.pullsignal",
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff_planner(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="paula", roles=["planner"], is_staff=True)


@pytest.fixture
def planner_client(client: Client, staff_planner) -> Client:  # type: ignore[no-untyped-def]
    client.force_login(staff_planner)
    return client


@pytest.fixture
def busy_plant(plant, operator):  # type: ignore[no-untyped-def]
    """The plant after some demand and card moves: rows in every ledger and log."""
    for n in range(4):
        demand_record(product=plant.finished, quantity=Decimal("3"), external_id=f"so-{n}")
    demand_process_pending()
    empty = plant.finished_loop.cards.filter(status=CardStatus.EMPTY).first()
    card_move(card_id=empty.pk, to=CardStatus.IN_PROCESS, actor_id=operator.pk)
    work_order_create(product=plant.component, quantity=Decimal("10"))
    line_switch_mode(line=plant.fab, mode="push", reason="trial", actor_id=operator.pk)
    return plant


def url(model_label: str, view: str, *args: Any) -> str:
    app_label, model = model_label.split(".")
    return reverse(f"admin:{app_label}_{model}_{view}", args=args)


def all_model_labels() -> list[str]:
    """The models of both apps; the audit trail's history models are read on the History
    page of the row they follow (tests/test_audit_admin.py), not as pages of their own."""
    return [
        m._meta.label_lower
        for app in ("production", "kanban")
        for m in apps.get_app_config(app).get_models()
        if not m.__name__.startswith("Historical")
    ]


def test_every_model_is_in_the_admin() -> None:
    missing = [
        label for label in all_model_labels() if not admin.site.is_registered(apps.get_model(label))
    ]
    assert missing == []


@pytest.mark.parametrize("label", all_model_labels())
def test_every_list_opens_with_few_queries(
    busy_plant, admin_user, client: Client, django_assert_max_num_queries, label: str
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    with django_assert_max_num_queries(12):
        response = client.get(url(label, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("label", READ_ONLY)
def test_ledgers_and_events_are_read_only(busy_plant, planner_client: Client, label: str) -> None:  # type: ignore[no-untyped-def]
    model = apps.get_model(label)
    row = model.objects.order_by("pk").first()
    assert row is not None, f"the busy plant has no {label}"
    assert planner_client.get(url(label, "add")).status_code == 403
    assert planner_client.get(url(label, "delete", row.pk)).status_code == 403
    page = planner_client.get(url(label, "change", row.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert planner_client.post(url(label, "change", row.pk), {}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


def test_ledgers_are_read_only_even_for_superusers(busy_plant, admin_user, client: Client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    move = StockMove.objects.first()
    assert client.get(url("production.stockmove", "add")).status_code == 403
    assert client.get(url("production.stockmove", "delete", move.pk)).status_code == 403
    changelist = client.get(url("production.stockmove", "changelist")).content.decode()
    assert "delete_selected" not in changelist


def test_operators_cannot_open_the_admin(plant, operator, client: Client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = client.get(url("production.product", "changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_products_are_found_by_sku_and_filtered_by_line(plant, planner_client: Client) -> None:  # type: ignore[no-untyped-def]
    found = planner_client.get(url("production.product", "changelist"), {"q": "F-100"})
    page = found.content.decode()
    assert "F-100" in page and "C-100" not in page
    by_line = planner_client.get(
        url("production.product", "changelist"), {"line__id__exact": plant.fab.pk}
    ).content.decode()
    assert "C-100" in by_line and "F-100" not in by_line


def test_the_product_page_edits_its_bom_inline(plant, planner_client: Client) -> None:  # type: ignore[no-untyped-def]
    page = planner_client.get(url("production.product", "change", plant.finished.pk))
    content = page.content.decode()
    assert page.status_code == 200
    assert 'name="bom_lines-TOTAL_FORMS"' in content
    assert 'name="bom_lines-0-quantity"' in content


def test_a_planner_adds_a_product_with_its_bom(plant, planner_client: Client) -> None:  # type: ignore[no-untyped-def]
    data = {
        "sku": "F-200",
        "name": "Second pump",
        "unit": "pcs",
        "line": plant.assembly.pk,
        "supermarket": plant.supermarket.pk,
        "container_quantity": "4",
        "lead_time_days": "1.5",
        "service_level": "0.95",
        "lot_sizing": "containers",
        "setup_cost": "50",
        "holding_cost_per_unit_day": "0.01",
        "bom_lines-TOTAL_FORMS": "1",
        "bom_lines-INITIAL_FORMS": "0",
        "bom_lines-0-component": plant.component.pk,
        "bom_lines-0-quantity": "3",
    }
    response = planner_client.post(url("production.product", "add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    product = plant.finished.__class__.objects.get(sku="F-200")
    assert [(b.component.sku, b.quantity) for b in product.bom_lines.all()] == [
        ("C-100", Decimal("3"))
    ]


def test_the_loop_page_shows_its_cards_read_only(plant, planner_client: Client) -> None:  # type: ignore[no-untyped-def]
    page = planner_client.get(url("kanban.kanbanloop", "change", plant.finished_loop.pk))
    content = page.content.decode()
    assert page.status_code == 200
    assert content.count("Full") >= 3  # three full cards listed
    assert 'name="cards-0-status"' not in content  # statuses are not editable here


def loop_add_data(product, **extra: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    data = {
        "product": product.pk,
        "location": "",
        "container_quantity": "",
        "card_count": "3",
        "safety_factor": "0.2",
        "cards-TOTAL_FORMS": "0",
        "cards-INITIAL_FORMS": "0",
    }
    return data | extra


def test_a_loop_opened_in_the_admin_starts_full_with_its_opening_stock(
    plant, planner_client: Client, staff_planner
) -> None:  # type: ignore[no-untyped-def]
    product = ProductFactory(
        sku="F-300", line=plant.assembly, supermarket=plant.supermarket, container_quantity=8
    )
    response = planner_client.post(url("kanban.kanbanloop", "add"), loop_add_data(product))
    assert response.status_code == 302, response.content.decode()[:2000]
    loop = KanbanLoop.objects.get(product=product)
    assert loop.location == plant.supermarket and loop.container_quantity == Decimal("8")
    assert list(loop.cards.values_list("status", flat=True)) == ["full"] * 3
    opening = StockMove.objects.get(product=product, kind=MoveKind.OPENING)
    assert opening.quantity == Decimal("24") and opening.created_by == staff_planner
    assert StockLevel.objects.get(product=product).on_hand == Decimal("24")
    assert CardEvent.objects.filter(card__loop=loop, actor=staff_planner).count() == 3


def test_a_second_loop_at_the_same_place_is_refused_by_the_form(
    plant, planner_client: Client
) -> None:  # type: ignore[no-untyped-def]
    response = planner_client.post(url("kanban.kanbanloop", "add"), loop_add_data(plant.finished))
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert KanbanLoop.objects.filter(product=plant.finished).count() == 1


def test_size_now_and_apply_sizing_run_the_services(plant, planner_client: Client) -> None:  # type: ignore[no-untyped-def]
    # 100 F-100 a day for the last 28 days: 100 x L 2 x 1.2 / 5 = 48 cards.
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    DemandEvent.objects.bulk_create(
        DemandEvent(
            product=plant.finished,
            quantity=Decimal("100"),
            occurred_at=now - timedelta(days=d, hours=1),
            source="history",
            external_id=f"h-{d}",
            status="fulfilled",
            processed_at=now,
        )
        for d in range(28)
    )
    loop = plant.finished_loop
    changelist = url("kanban.kanbanloop", "changelist")
    response = planner_client.post(
        changelist, {"action": "size_now", "_selected_action": [loop.pk]}, follow=True
    )
    assert "F-100: 48" in response.content.decode()
    loop.refresh_from_db()
    assert loop.recommended_card_count == 48
    # The component loop is sized by the demand of what uses it: 2 C per F.
    planner_client.post(
        changelist, {"action": "size_now", "_selected_action": [plant.component_loop.pk]}
    )
    plant.component_loop.refresh_from_db()
    assert plant.component_loop.recommended_card_count == 48  # 200 x 2 x 1.2 / 10

    response = planner_client.post(
        changelist, {"action": "apply_sizing", "_selected_action": [loop.pk]}, follow=True
    )
    assert "45 card(s) added" in response.content.decode()
    assert loop.cards.count() == 48
    assert loop.cards.filter(status=CardStatus.EMPTY, work_order__isnull=False).count() == 45


def line_change_data(line: ProductionLine, **extra: Any) -> dict[str, Any]:
    data = {
        "code": line.code,
        "name": line.name,
        "mode": line.mode,
        "capacity_per_day": str(line.capacity_per_day),
        "wip_limit": str(line.wip_limit),
        "mode_switch_reason": "",
        "mode_switches-TOTAL_FORMS": "0",
        "mode_switches-INITIAL_FORMS": "0",
    }
    return data | extra


def test_switching_a_line_in_the_admin_needs_a_reason_and_is_audited(
    plant, planner_client: Client, staff_planner
) -> None:  # type: ignore[no-untyped-def]
    change = url("production.productionline", "change", plant.assembly.pk)
    refused = planner_client.post(change, line_change_data(plant.assembly, mode="push"))
    assert refused.status_code == 200
    assert "Say why the line changes mode." in refused.content.decode()
    plant.assembly.refresh_from_db()
    assert plant.assembly.mode == "pull"

    done = planner_client.post(
        change,
        line_change_data(
            plant.assembly, mode="push", mode_switch_reason="forecast trial", wip_limit="3"
        ),
    )
    assert done.status_code == 302
    plant.assembly.refresh_from_db()
    assert (plant.assembly.mode, plant.assembly.wip_limit) == ("push", 3)
    switch = LineModeSwitch.objects.get(line=plant.assembly)
    assert (switch.from_mode, switch.to_mode, switch.reason, switch.switched_by) == (
        "pull",
        "push",
        "forecast trial",
        staff_planner,
    )


def test_editing_a_line_without_a_mode_change_writes_no_switch(
    plant, planner_client: Client
) -> None:  # type: ignore[no-untyped-def]
    change = url("production.productionline", "change", plant.fab.pk)
    response = planner_client.post(change, line_change_data(plant.fab, name="Fabrication"))
    assert response.status_code == 302
    plant.fab.refresh_from_db()
    assert plant.fab.name == "Fabrication"
    assert not LineModeSwitch.objects.exists()


def test_work_order_actions_go_through_the_state_machine(
    plant, operator, planner_client: Client, staff_planner
) -> None:  # type: ignore[no-untyped-def]
    manual = work_order_create(product=plant.component, quantity=Decimal("10"))
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=CardStatus.EMPTY, actor_id=operator.pk)
    kanban_order = KanbanCard.objects.get(pk=card.pk).work_order
    assert kanban_order is not None

    response = planner_client.post(
        url("production.workorder", "changelist"),
        {"action": "release", "_selected_action": [manual.pk, kanban_order.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "1 work order(s) released" in page
    assert "follows its card" in page
    manual.refresh_from_db()
    kanban_order.refresh_from_db()
    assert manual.status == "released" and kanban_order.status == "planned"
    event = WorkOrderEvent.objects.filter(work_order=manual).order_by("-id").first()
    assert event is not None and event.actor == staff_planner and event.to_status == "released"

    # The work order form itself never edits a status.
    form = planner_client.get(url("production.workorder", "change", manual.pk)).content.decode()
    assert 'name="status"' not in form and 'name="_save"' not in form


def test_a_refused_action_changes_nothing(plant, planner_client: Client) -> None:  # type: ignore[no-untyped-def]
    order = work_order_create(product=plant.component, quantity=Decimal("10"))
    response = planner_client.post(
        url("production.workorder", "changelist"),
        {"action": "complete", "_selected_action": [order.pk]},
        follow=True,
    )
    assert "cannot become done" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "planned" and order.version == 1
    assert WorkOrder.objects.count() == 1


def test_searching_stock_moves_by_sku_reads_that_products_moves_by_its_id(
    busy_plant, admin_user, client: Client
) -> None:  # type: ignore[no-untyped-def]
    # The SKU is resolved to the product first: the ledger is then read by `product_id`
    # (an index range), never joined to products and filtered on the SKU, which let
    # PostgreSQL walk millions of moves by date at plant scale.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url("production.stockmove", "changelist"), {"q": "C-100"})
    assert page.status_code == 200
    shown = list(page.context["cl"].result_list)
    assert shown and {m.product_id for m in shown} == {busy_plant.component.pk}
    assert len(shown) == StockMove.objects.filter(product=busy_plant.component).count()
    ledger_reads = [
        q["sql"] for q in captured.captured_queries if 'FROM "production_stockmove"' in q["sql"]
    ]
    assert ledger_reads
    assert not [sql for sql in ledger_reads if '"production_product"."sku" =' in sql]
    # Newest first by id: the (product_id, id) index serves the page.
    ordered = [sql.rsplit("ORDER BY", 1)[1] for sql in ledger_reads if "ORDER BY" in sql]
    assert ordered and all(
        o.strip().startswith('"production_stockmove"."id" DESC') for o in ordered
    )
    assert [m.pk for m in shown] == sorted((m.pk for m in shown), reverse=True)
    nothing = client.get(url("production.stockmove", "changelist"), {"q": "NO-SUCH"})
    assert list(nothing.context["cl"].result_list) == []
