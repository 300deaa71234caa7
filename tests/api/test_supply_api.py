"""API v1 of supply: suppliers/, call-offs/, transfer-orders/, loops' sources, demand at a
location. ETags from versions, If-Match, Idempotency-Key, problem details naming the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kanban.models import KanbanCard
from production.models import StockLevel
from production.services import demand_process_pending, stock_adjust
from production.supply.models import CallOff, Supplier, TransferOrder
from tests.api.conftest import problem_fields

pytestmark = pytest.mark.django_db
D = Decimal


def empty_a_warehouse_container(chain) -> CallOff:  # type: ignore[no-untyped-def]
    stock_adjust(
        product=chain.part, location=chain.warehouse, delta=D("-10"), reason="scrap", actor_id=None
    )
    return CallOff.objects.get()


def url(order, verb: str = "") -> str:  # type: ignore[no-untyped-def]
    kind = "call-offs" if isinstance(order, CallOff) else "transfer-orders"
    return f"/api/v1/{kind}/{order.pk}/" + (f"{verb}/" if verb else "")


def test_a_call_off_goes_confirm_ship_receive_with_etags(erp, chain):  # type: ignore[no-untyped-def]
    call_off = empty_a_warehouse_container(chain)
    read = erp.get(url(call_off))
    assert read.status_code == 200 and read["ETag"] == '"1"'
    body = read.json()
    card = KanbanCard.objects.get(call_off=call_off)
    assert (body["supplier"], body["product"], body["location"], body["card"]) == (
        "acme",
        "P-200",
        "wh",
        card.pk,
    )
    assert (body["status"], body["late"], body["quantity"]) == ("open", False, "10.000")
    assert erp.post(url(call_off, "confirm"), HTTP_IF_MATCH='"1"').json()["status"] == "confirmed"
    shipped = erp.post(url(call_off, "ship"), HTTP_IF_MATCH='"2"')
    assert shipped.json()["status"] == "shipped" and shipped["ETag"] == '"3"'
    received = erp.post(
        url(call_off, "receive"),
        {"quantity": "11", "reason": "one extra in the box"},
        format="json",
        HTTP_IF_MATCH='"3"',
    )
    assert received.status_code == 200, received.content
    assert (received.json()["received_quantity"], received.json()["difference"]) == (
        "11.000",
        "1.000",
    )
    card.refresh_from_db()
    assert (card.status, card.remaining_quantity) == ("full", D("11"))
    level = StockLevel.objects.get(product=chain.part, location=chain.warehouse)
    assert level.on_hand == D("21")


def test_a_stale_if_match_is_412_and_out_of_sequence_is_409(erp, chain):  # type: ignore[no-untyped-def]
    call_off = empty_a_warehouse_container(chain)
    stale = erp.post(url(call_off, "confirm"), HTTP_IF_MATCH='"7"')
    assert stale.status_code == 412
    skipped = erp.post(url(call_off, "ship"))
    assert skipped.status_code == 409 and "status" in problem_fields(skipped)
    too_early = erp.post(url(call_off, "receive"), {"quantity": "10"}, format="json")
    assert too_early.status_code == 409
    call_off.refresh_from_db()
    assert (call_off.status, call_off.version) == ("open", 1)


def test_a_receipt_on_a_cancelled_call_off_is_409_and_changes_nothing(erp, chain):  # type: ignore[no-untyped-def]
    call_off = empty_a_warehouse_container(chain)
    no_reason = erp.post(url(call_off, "cancel"), {}, format="json")
    assert no_reason.status_code == 400 and problem_fields(no_reason) == {"reason"}
    cancelled = erp.post(url(call_off, "cancel"), {"reason": "wrong part"}, format="json")
    assert cancelled.status_code == 200
    refused = erp.post(url(call_off, "receive"), {"quantity": "10"}, format="json")
    assert refused.status_code == 409
    assert "cancelled" in refused.json()["detail"]
    level = StockLevel.objects.get(product=chain.part, location=chain.warehouse)
    assert level.on_hand == D("10")


def test_a_shipped_call_off_lost_on_the_way_is_cancelled_with_a_reason(erp, chain):  # type: ignore[no-untyped-def]
    call_off = empty_a_warehouse_container(chain)
    erp.post(url(call_off, "confirm"))
    erp.post(url(call_off, "ship"))
    no_reason = erp.post(url(call_off, "cancel"), {}, format="json", HTTP_IF_MATCH='"3"')
    assert no_reason.status_code == 400 and problem_fields(no_reason) == {"reason"}
    cancelled = erp.post(
        url(call_off, "cancel"), {"reason": "lost in transit"}, format="json", HTTP_IF_MATCH='"3"'
    )
    assert cancelled.status_code == 200, cancelled.content
    assert (cancelled.json()["status"], cancelled["ETag"]) == ("cancelled", '"4"')
    assert erp.post(url(call_off, "receive"), {"quantity": "10"}, format="json").status_code == 409
    level = StockLevel.objects.get(product=chain.part, location=chain.warehouse)
    assert level.on_hand == D("10")


def test_bad_quantities_name_the_field(erp, chain):  # type: ignore[no-untyped-def]
    call_off = empty_a_warehouse_container(chain)
    erp.post(url(call_off, "confirm"))
    erp.post(url(call_off, "ship"))
    for body in ({}, {"quantity": "-1"}, {"quantity": "abc"}):
        answer = erp.post(url(call_off, "receive"), body, format="json")
        assert answer.status_code == 400 and problem_fields(answer) == {"quantity"}
    short = erp.post(url(call_off, "receive"), {"quantity": "9"}, format="json")
    assert short.status_code == 400 and problem_fields(short) == {"reason"}
    call_off.refresh_from_db()
    assert call_off.status == "shipped"


def test_a_repeated_idempotency_key_receives_once(erp, chain):  # type: ignore[no-untyped-def]
    call_off = empty_a_warehouse_container(chain)
    erp.post(url(call_off, "confirm"))
    erp.post(url(call_off, "ship"))
    first = erp.post(
        url(call_off, "receive"), {"quantity": "10"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1"
    )
    again = erp.post(
        url(call_off, "receive"), {"quantity": "10"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1"
    )
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    level = StockLevel.objects.get(product=chain.part, location=chain.warehouse)
    assert level.on_hand == D("20")


def test_a_transfer_is_picked_and_received_and_says_what_it_waits_for(erp, operator_api, chain):  # type: ignore[no-untyped-def]
    erp.post(
        "/api/v1/demand-events/",
        {"external_id": "ls-1", "product": "P-200", "quantity": "5", "location": "ls-1"},
        format="json",
    )
    demand_process_pending()
    transfer = TransferOrder.objects.get()
    stock_adjust(
        product=chain.part, location=chain.warehouse, delta=D("-18"), reason="count", actor_id=None
    )
    listed = operator_api.get("/api/v1/transfer-orders/", {"to_location": "ls-1", "status": "open"})
    (row,) = listed.json()["results"]
    assert row["waiting_for"] == "waits for stock at wh: 2 of 5 there"
    refused = operator_api.post(url(transfer, "pick"))
    assert refused.status_code == 409 and problem_fields(refused) == {"from_location"}
    stock_adjust(
        product=chain.part, location=chain.warehouse, delta=D("8"), reason="found", actor_id=None
    )
    picked = operator_api.post(url(transfer, "pick"))
    assert picked.status_code == 200 and picked.json()["status"] == "picked"
    received = operator_api.post(url(transfer, "receive"), {"quantity": "5"}, format="json")
    assert received.json()["status"] == "received"
    assert StockLevel.objects.get(product=chain.part, location=chain.line_side).on_hand == D("10")


def test_demand_names_its_location_and_an_unknown_one_is_a_400(erp, chain):  # type: ignore[no-untyped-def]
    bad = erp.post(
        "/api/v1/demand-events/",
        {"external_id": "x", "product": "P-200", "quantity": "1", "location": "nowhere"},
        format="json",
    )
    assert bad.status_code == 400, bad.content
    assert problem_fields(bad) == {"location"}
    good = erp.post(
        "/api/v1/demand-events/",
        {"external_id": "y", "product": "P-200", "quantity": "1", "location": "ls-1"},
        format="json",
    )
    assert good.status_code == 201 and good.json()["location"] == "ls-1"
    assert erp.get("/api/v1/demand-events/").json()["results"][0]["location"] == "ls-1"


def test_loops_show_their_source(erp, chain):  # type: ignore[no-untyped-def]
    rows = {r["location"]: r for r in erp.get("/api/v1/loops/").json()["results"]}
    assert (rows["wh"]["source"], rows["wh"]["supplier"], rows["wh"]["minimum"]) == (
        "supplier",
        "acme",
        "10.000",
    )
    assert (rows["ls-1"]["source"], rows["ls-1"]["source_location"]) == ("transfer", "wh")


def test_suppliers_are_created_changed_and_archived_by_planners(planner_api, operator_api, chain):  # type: ignore[no-untyped-def]
    body = {"code": "bolt-co", "name": "Bolt Co", "lead_time_days": "3", "email": "a@bolt.test"}
    assert operator_api.post("/api/v1/suppliers/", body, format="json").status_code == 403
    created = planner_api.post("/api/v1/suppliers/", body, format="json")
    assert created.status_code == 201, created.content
    again = planner_api.post("/api/v1/suppliers/", body, format="json")
    assert again.status_code == 400 and problem_fields(again) == {"code"}
    bad = planner_api.patch("/api/v1/suppliers/bolt-co/", {"lead_time_days": "0"}, format="json")
    assert bad.status_code == 400 and problem_fields(bad) == {"lead_time_days"}
    changed = planner_api.patch("/api/v1/suppliers/bolt-co/", {"name": "Bolt"}, format="json")
    assert changed.json()["name"] == "Bolt"
    archived = planner_api.delete("/api/v1/suppliers/bolt-co/")
    assert archived.status_code == 200 and archived.json()["archived_at"]
    assert Supplier.objects.get(code="bolt-co").archived_at is not None
    listed = operator_api.get("/api/v1/suppliers/", {"archived": "false"}).json()["results"]
    assert [s["code"] for s in listed] == ["acme"]


def test_roles_on_supply_actions(operator_api, nobody_api, chain):  # type: ignore[no-untyped-def]
    call_off = empty_a_warehouse_container(chain)
    assert nobody_api.get("/api/v1/call-offs/").status_code in (401, 403)
    assert operator_api.get("/api/v1/call-offs/").status_code == 200
    assert operator_api.post(url(call_off, "confirm")).status_code == 403
    assert (
        operator_api.post(url(call_off, "cancel"), {"reason": "x"}, format="json").status_code
        == 403
    )


def test_call_off_list_filters_and_pages_with_a_constant_number_of_queries(
    erp, chain, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    CallOff.objects.bulk_create(
        CallOff(
            supplier=chain.supplier,
            product=chain.part,
            location=chain.warehouse,
            quantity=D("10"),
            due_at=timezone.now(),
        )
        for _ in range(300)
    )
    with django_assert_max_num_queries(8):
        page = erp.get("/api/v1/call-offs/", {"supplier": "acme", "late": "true", "page_size": 200})
    assert page.status_code == 200 and len(page.json()["results"]) == 200
    assert page.json()["next"]
    assert erp.get("/api/v1/call-offs/", {"status": "received"}).json()["results"] == []
