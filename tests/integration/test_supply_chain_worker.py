"""The whole supply chain through a real Celery worker on PostgreSQL, with exact totals.

Demand at the line side is processed by the worker: it drains the line-side loop, whose
signals are transfer orders from the warehouse; picking them drains the warehouse loop,
whose signals are call-offs to the supplier. Operators pick and receive, the supplier
confirms and ships, until nothing is open: every unit demanded was served, each loop is
full again, and the ledger and the levels agree everywhere.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from production.models import DemandEvent, StockMove
from production.services.demand import DemandInput, demand_record_many
from production.supply.models import CallOff, TransferOrder
from production.supply.services import (
    call_off_confirm,
    call_off_receive,
    call_off_ship,
    transfer_order_pick,
    transfer_order_receive,
)
from tests.integration.conftest import wait_for
from tests.supply_chain import ledger, on_hand

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
D = Decimal


def replenish_everything(rounds: int = 10) -> None:
    """What the warehouse crew and the supplier do, until no order is open."""
    for _ in range(rounds):
        transfers = list(TransferOrder.objects.filter(status="open").order_by("pk"))
        call_offs = list(CallOff.objects.filter(status="open").order_by("pk"))
        if not transfers and not call_offs:
            return
        for transfer in transfers:
            transfer_order_pick(transfer_order_id=transfer.pk, actor_id=None)
            transfer_order_receive(transfer_order_id=transfer.pk, actor_id=None)
        for call_off in call_offs:
            call_off_confirm(call_off_id=call_off.pk, actor_id=None)
            call_off_ship(call_off_id=call_off.pk, actor_id=None)
            call_off_receive(call_off_id=call_off.pk, actor_id=None)
    pytest.fail("orders still open after all rounds")


def test_supplier_warehouse_line_side_demand_through_a_worker(chain, start_worker):  # type: ignore[no-untyped-def]
    start_worker(concurrency=2, batch_size=4)
    start = timezone.now() - timedelta(minutes=5)
    demand_record_many(  # 23 units at the line side, one event at a time, as a line consumes
        [
            DemandInput(
                chain.part,
                D("1"),
                start + timedelta(seconds=i),
                f"use-{i}",
                "line",
                chain.line_side,
            )
            for i in range(23)
        ]
    )
    wait_for(
        lambda: not DemandEvent.objects.filter(processed_at__isnull=True).exists(),
        what="the worker to process the line-side demand",
    )
    # The line side held 10 (2 containers of 5): 13 units wait, 2 transfers were signalled.
    waiting = DemandEvent.objects.aggregate(total=Sum("open_backorder_quantity"))["total"]
    assert waiting == D("13")
    assert TransferOrder.objects.count() == 2 and not CallOff.objects.exists()
    assert on_hand(chain, chain.warehouse) == D("20")

    replenish_everything()

    # Transfers T1, T2 refill the line side and serve 10 of the 13 waiting, which empties
    # both containers again (T3, T4); their picks empty both warehouse containers (two
    # call-offs). T3 serves the last 3, T4 refills: 2 + 5 left at the line side.
    assert DemandEvent.objects.aggregate(total=Sum("open_backorder_quantity"))["total"] == 0
    assert TransferOrder.objects.filter(status="received").count() == 4
    assert CallOff.objects.filter(status="received").count() == 2
    assert on_hand(chain, chain.line_side) == ledger(chain, chain.line_side) == D("7")
    assert on_hand(chain, chain.warehouse) == ledger(chain, chain.warehouse) == D("20")
    line_side = chain.line_side_loop.cards.order_by("number")
    assert list(line_side.values_list("status", "remaining_quantity")) == [
        ("in_use", D("2")),
        ("full", D("5")),
    ]
    warehouse = chain.warehouse_loop.cards.order_by("number")
    assert list(warehouse.values_list("status", "remaining_quantity")) == [
        ("full", D("10")),
        ("full", D("10")),
    ]
    # 23 used at the line side, 20 moved in by transfer, 20 out of the warehouse and back.
    moves = StockMove.objects.filter(product=chain.part)
    assert moves.filter(location=chain.line_side, demand_event__isnull=False).aggregate(
        t=Sum("quantity")
    )["t"] == D("-23")
    assert moves.filter(location=chain.warehouse, kind="consumption").aggregate(t=Sum("quantity"))[
        "t"
    ] == D("-20")
