"""Orders on their way: a shipped call-off lost in transit, a picked transfer not needed after
all. Cancelled on their own, with a reason, they leave no order behind; a picked transfer's
goods go back into its source through the ledger. A card retired or a loop archived never
cancels them as a side effect: the goods are still coming."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings

from kanban.models import CardStatus, KanbanCard
from kanban.services import card_move, loop_archive
from production.errors import DomainError, NotAllowed
from production.models import DemandEvent, StockMove
from production.services import demand_process_pending, demand_record
from production.supply.models import CallOffEvent, TransferOrder, TransferOrderEvent
from production.supply.services import (
    call_off_cancel,
    call_off_receive,
    transfer_order_cancel,
    transfer_order_pick,
    transfer_order_receive,
)
from tests.supply_chain import ledger, on_hand, shipped_call_off
from tests.test_races import run_in_threads

D = Decimal


def picked_transfer(chain) -> TransferOrder:  # type: ignore[no-untyped-def]
    demand_record(
        product=chain.part, quantity=D("5"), external_id="ls-use", location=chain.line_side
    )
    demand_process_pending()
    transfer = TransferOrder.objects.get()
    return transfer_order_pick(transfer_order_id=transfer.pk, actor_id=None)


@pytest.mark.django_db
def test_a_shipped_call_off_lost_on_the_way_is_cancelled_with_its_reason(chain):  # type: ignore[no-untyped-def]
    call_off = shipped_call_off(chain)
    stock, moves = on_hand(chain, chain.warehouse), StockMove.objects.count()
    cancelled = call_off_cancel(call_off_id=call_off.pk, actor_id=None, reason="lost in transit")
    assert (cancelled.status, cancelled.version) == ("cancelled", call_off.version + 1)
    event = CallOffEvent.objects.filter(call_off=call_off).latest("pk")
    assert (event.from_status, event.to_status, event.reason) == (
        "shipped",
        "cancelled",
        "lost in transit",
    )
    assert (on_hand(chain, chain.warehouse), StockMove.objects.count()) == (stock, moves)
    card = KanbanCard.objects.get(loop=chain.warehouse_loop, status=CardStatus.EMPTY)
    assert card.call_off_id is None  # it signals again when started
    with pytest.raises(NotAllowed) as refused:
        call_off_receive(call_off_id=call_off.pk, actor_id=None)
    assert refused.value.code == "out_of_sequence"


@pytest.mark.django_db
def test_cancelling_a_shipped_call_off_needs_a_reason_and_changes_nothing_without(chain):  # type: ignore[no-untyped-def]
    call_off = shipped_call_off(chain)
    with pytest.raises(DomainError) as refused:
        call_off_cancel(call_off_id=call_off.pk, actor_id=None, reason=" ")
    assert refused.value.field == "reason"
    call_off.refresh_from_db()
    assert (call_off.status, CallOffEvent.objects.filter(to_status="cancelled").count()) == (
        "shipped",
        0,
    )


@pytest.mark.django_db
def test_a_picked_transfer_cancelled_puts_its_goods_back_at_the_source(chain):  # type: ignore[no-untyped-def]
    transfer = picked_transfer(chain)
    assert on_hand(chain, chain.warehouse) == D("15")
    line_side = on_hand(chain, chain.line_side)
    cancelled = transfer_order_cancel(
        transfer_order_id=transfer.pk, actor_id=None, reason="line stopped"
    )
    assert cancelled.status == "cancelled"
    assert on_hand(chain, chain.warehouse) == D("20") == ledger(chain, chain.warehouse)
    assert on_hand(chain, chain.line_side) == line_side
    back = StockMove.objects.filter(location=chain.warehouse).latest("pk")
    assert (back.kind, back.quantity) == ("receipt", D("5"))
    assert back.note == f"TO-{transfer.pk} cancelled after picking: put back"
    event = TransferOrderEvent.objects.filter(transfer_order=transfer).latest("pk")
    assert (event.from_status, event.to_status, event.quantity) == ("picked", "cancelled", D("5"))
    with pytest.raises(NotAllowed):
        transfer_order_receive(transfer_order_id=transfer.pk, actor_id=None)


@pytest.mark.django_db
def test_what_is_put_back_serves_a_backorder_waiting_at_the_source_first(chain):  # type: ignore[no-untyped-def]
    transfer = picked_transfer(chain)
    demand_record(product=chain.part, quantity=D("18"), external_id="wh-use")  # 15 there
    demand_process_pending()
    waiting = DemandEvent.objects.get(external_id="wh-use")
    assert waiting.open_backorder_quantity == D("3")
    transfer_order_cancel(transfer_order_id=transfer.pk, actor_id=None, reason="line stopped")
    waiting.refresh_from_db()
    assert (waiting.open_backorder_quantity, waiting.status) == (D("0"), "fulfilled")
    assert on_hand(chain, chain.warehouse) == D("2") == ledger(chain, chain.warehouse)


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["card retired", "loop archived"])
def test_a_card_retired_or_its_loop_archived_never_cancels_a_call_off_on_its_way(chain, how):  # type: ignore[no-untyped-def]
    call_off = shipped_call_off(chain)
    card = KanbanCard.objects.get(call_off=call_off)
    assert card.status == CardStatus.EMPTY  # waiting for its container
    with pytest.raises(NotAllowed) as refused:
        if how == "card retired":
            card_move(card_id=card.pk, to=CardStatus.RETIRED, actor_id=None)
        else:
            loop_archive(loop_id=chain.warehouse_loop.pk, actor_id=None)
    assert refused.value.code == "in_transit"
    assert f"CO-{call_off.pk} is shipped" in refused.value.message
    call_off.refresh_from_db()
    assert call_off.status == "shipped"
    card.refresh_from_db()
    assert (card.status, card.call_off_id) == (CardStatus.EMPTY, call_off.pk)
    chain.warehouse_loop.refresh_from_db()
    assert chain.warehouse_loop.archived_at is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.USES_POSTGRES, reason="row locks need PostgreSQL")
def test_a_cancel_and_a_receipt_of_one_picked_transfer_at_once_do_one_thing(chain):  # type: ignore[no-untyped-def]
    transfer = picked_transfer(chain)

    def cancel() -> None:
        transfer_order_cancel(transfer_order_id=transfer.pk, actor_id=None, reason="not needed")

    def receive() -> None:
        transfer_order_receive(transfer_order_id=transfer.pk, actor_id=None)

    errors = run_in_threads([cancel, receive])
    assert len(errors) == 1 and isinstance(errors[0], NotAllowed), errors
    transfer.refresh_from_db()
    # Either it came to the line side or it went back to the warehouse: 5 units, once.
    warehouse, line_side = on_hand(chain, chain.warehouse), on_hand(chain, chain.line_side)
    if transfer.status == "received":
        assert (warehouse, line_side) == (D("15"), D("10"))
    else:
        assert (transfer.status, warehouse, line_side) == ("cancelled", D("20"), D("5"))
    assert warehouse == ledger(chain, chain.warehouse)
    assert line_side == ledger(chain, chain.line_side)
