"""The supply chain through its services: signals make call-offs and transfers, picks take
from the source through the ledger, receipts fill cards, demand names its location."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kanban.models import CardStatus, KanbanCard, PullSignal
from kanban.services import card_move
from production.errors import DomainError, NotAllowed
from production.models import DemandEvent, DemandStatus, StockLevel, StockMove
from production.services import demand_process_pending, demand_record
from production.supply.models import CallOff, TransferOrder
from production.supply.services import (
    call_off_cancel,
    call_off_confirm,
    call_off_receive,
    call_off_ship,
    transfer_order_pick,
    transfer_order_receive,
)

pytestmark = pytest.mark.django_db
D = Decimal


def on_hand(product, location) -> Decimal:  # type: ignore[no-untyped-def]
    return StockLevel.objects.get(product=product, location=location).on_hand


def statuses(loop) -> list[str]:  # type: ignore[no-untyped-def]
    return list(loop.cards.order_by("number").values_list("status", flat=True))


def line_side_demand(chain, quantity, external_id):  # type: ignore[no-untyped-def]
    recorded = demand_record(
        product=chain.part,
        quantity=D(quantity),
        external_id=external_id,
        location=chain.line_side,
    )
    demand_process_pending()
    recorded.event.refresh_from_db()
    return recorded.event


def test_demand_at_the_line_side_drains_the_line_side_loop_and_makes_a_transfer(chain):  # type: ignore[no-untyped-def]
    before = timezone.now()
    event = line_side_demand(chain, 5, "ls-a")
    assert event.status == DemandStatus.FULFILLED
    assert on_hand(chain.part, chain.line_side) == D("5")
    assert on_hand(chain.part, chain.warehouse) == D("20")  # the warehouse is not touched
    assert statuses(chain.line_side_loop) == ["empty", "full"]
    transfer = TransferOrder.objects.get()
    assert (transfer.from_location, transfer.to_location) == (chain.warehouse, chain.line_side)
    assert (transfer.quantity, transfer.status) == (D("5"), "open")
    # Due after the loop's transfer lead time (half a day), counted from the signal.
    assert before + timedelta(hours=12) <= transfer.due_at <= timezone.now() + timedelta(hours=12)
    card = chain.line_side_loop.cards.get(number=1)
    assert card.transfer_order == transfer and card.work_order is None
    assert PullSignal.objects.get(card=card).transfer_order == transfer
    assert not CallOff.objects.exists()


def test_a_pick_takes_from_the_warehouse_whose_loop_then_calls_off(chain):  # type: ignore[no-untyped-def]
    line_side_demand(chain, 5, "ls-a")
    line_side_demand(chain, 5, "ls-b")
    first, second = TransferOrder.objects.order_by("pk")
    transfer_order_pick(transfer_order_id=first.pk, actor_id=None)
    transfer_order_pick(transfer_order_id=second.pk, actor_id=None)
    assert on_hand(chain.part, chain.warehouse) == D("10")
    assert statuses(chain.warehouse_loop) == ["empty", "full"]
    call_off = CallOff.objects.get()
    assert (call_off.supplier, call_off.quantity, call_off.location) == (
        chain.supplier,
        D("10"),
        chain.warehouse,
    )
    assert timezone.now() + timedelta(days=2) - call_off.due_at < timedelta(minutes=1)
    moves = StockMove.objects.filter(location=chain.warehouse, kind="consumption")
    assert sorted(m.note for m in moves) == [f"TO-{first.pk} picked", f"TO-{second.pk} picked"]


def test_receiving_a_transfer_fills_its_card(chain):  # type: ignore[no-untyped-def]
    line_side_demand(chain, 5, "ls-a")
    transfer = TransferOrder.objects.get()
    transfer_order_pick(transfer_order_id=transfer.pk, actor_id=None)
    received = transfer_order_receive(transfer_order_id=transfer.pk, actor_id=None)
    assert (received.status, received.received_quantity, received.version) == (
        "received",
        D("5"),
        3,
    )
    assert statuses(chain.line_side_loop) == ["full", "full"]
    assert on_hand(chain.part, chain.line_side) == D("10")
    assert on_hand(chain.part, chain.warehouse) == D("15")
    card = chain.line_side_loop.cards.get(number=1)
    assert card.transfer_order is None
    assert PullSignal.objects.get(card=card).fulfilled_at is not None
    assert list(received.events.values_list("from_status", "to_status")) == [
        ("", "open"),
        ("open", "picked"),
        ("picked", "received"),
    ]


def test_a_transfer_the_source_cannot_cover_waits_and_takes_nothing(chain):  # type: ignore[no-untyped-def]
    from production.services import stock_adjust

    line_side_demand(chain, 5, "ls-a")
    stock_adjust(
        product=chain.part, location=chain.warehouse, delta=D("-17"), reason="count", actor_id=None
    )
    transfer = TransferOrder.objects.get()
    with pytest.raises(NotAllowed) as refused:
        transfer_order_pick(transfer_order_id=transfer.pk, actor_id=None)
    assert refused.value.code == "source_short"
    assert "wh holds 3 of the 5" in refused.value.message
    transfer.refresh_from_db()
    assert (transfer.status, transfer.version) == ("open", 1)
    assert on_hand(chain.part, chain.warehouse) == D("3")


def test_the_card_going_full_by_scan_walks_the_call_off_to_received(chain):  # type: ignore[no-untyped-def]
    from production.services import stock_adjust

    stock_adjust(
        product=chain.part, location=chain.warehouse, delta=D("-10"), reason="scrap", actor_id=None
    )
    call_off = CallOff.objects.get()
    card = chain.warehouse_loop.cards.get(call_off=call_off)
    card_move(card_id=card.pk, to=CardStatus.FULL, actor_id=None, source="scan")
    call_off.refresh_from_db()
    assert (call_off.status, call_off.received_quantity) == ("received", D("10"))
    assert list(call_off.events.values_list("to_status", flat=True)) == [
        "open",
        "confirmed",
        "shipped",
        "received",
    ]
    assert on_hand(chain.part, chain.warehouse) == D("20")
    card.refresh_from_db()
    assert (card.status, card.remaining_quantity, card.call_off) == ("full", D("10"), None)


def test_a_short_delivery_is_received_as_counted_with_its_reason(chain):  # type: ignore[no-untyped-def]
    from production.services import stock_adjust

    stock_adjust(
        product=chain.part, location=chain.warehouse, delta=D("-10"), reason="scrap", actor_id=None
    )
    call_off = CallOff.objects.get()
    call_off_confirm(call_off_id=call_off.pk, actor_id=None)
    call_off_ship(call_off_id=call_off.pk, actor_id=None)
    with pytest.raises(DomainError) as no_reason:
        call_off_receive(call_off_id=call_off.pk, actor_id=None, quantity=D("8"))
    assert no_reason.value.field == "reason"
    received = call_off_receive(
        call_off_id=call_off.pk, actor_id=None, quantity=D("8"), reason="two missing"
    )
    assert (received.received_quantity, received.difference, received.receipt_reason) == (
        D("8"),
        D("-2"),
        "two missing",
    )
    assert on_hand(chain.part, chain.warehouse) == D("18")
    card = KanbanCard.objects.get(loop=chain.warehouse_loop, number=1)
    assert (card.status, card.remaining_quantity) == ("full", D("8"))


def test_a_cancelled_call_off_cannot_be_received(chain):  # type: ignore[no-untyped-def]
    from production.services import stock_adjust

    stock_adjust(
        product=chain.part, location=chain.warehouse, delta=D("-10"), reason="scrap", actor_id=None
    )
    call_off = CallOff.objects.get()
    with pytest.raises(DomainError) as no_reason:
        call_off_cancel(call_off_id=call_off.pk, actor_id=None, reason=" ")
    assert no_reason.value.field == "reason"
    call_off_cancel(call_off_id=call_off.pk, actor_id=None, reason="supplier closed")
    with pytest.raises(NotAllowed) as refused:
        call_off_receive(call_off_id=call_off.pk, actor_id=None)
    assert "cancelled: it cannot become received" in refused.value.message
    assert on_hand(chain.part, chain.warehouse) == D("10")
    card = KanbanCard.objects.get(loop=chain.warehouse_loop, number=1)
    assert (card.status, card.call_off) == ("empty", None)


def test_a_line_side_backorder_is_served_by_the_transfer_received_there(chain):  # type: ignore[no-untyped-def]
    event = line_side_demand(chain, 12, "ls-big")
    assert (event.status, event.backordered_quantity) == ("backordered", D("2"))
    assert on_hand(chain.part, chain.line_side) == D("0")
    first = TransferOrder.objects.order_by("pk").first()
    transfer_order_pick(transfer_order_id=first.pk, actor_id=None)
    transfer_order_receive(transfer_order_id=first.pk, actor_id=None)
    event.refresh_from_db()
    assert (event.status, event.open_backorder_quantity) == ("fulfilled", D("0"))
    assert on_hand(chain.part, chain.line_side) == D("3")
    # Demand without a location still waits at the product's supermarket (the warehouse).
    assert DemandEvent.objects.filter(location__isnull=True).count() == 0


def test_a_purchased_product_cannot_have_a_production_loop(chain):  # type: ignore[no-untyped-def]
    from kanban.services import loop_create
    from tests.factories import LocationFactory

    with pytest.raises(DomainError) as refused:
        loop_create(product=chain.part, location=LocationFactory(), card_count=1)
    assert refused.value.field == "source"
