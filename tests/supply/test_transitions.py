"""The status tables of call-offs and transfer orders: every allowed move works, every
other is refused with a clear error, and a refused move changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from production.errors import NotAllowed
from production.models import StockLevel
from production.supply import services
from production.supply.models import (
    CallOff,
    CallOffEvent,
    CallOffStatus,
    TransferOrder,
    TransferOrderEvent,
    TransferStatus,
)
from production.supply.transitions import CALL_OFF_TRANSITIONS, TRANSFER_TRANSITIONS

pytestmark = pytest.mark.django_db
D = Decimal

CALL_OFF_ACTIONS: dict[str, Any] = {
    "confirmed": lambda pk: services.call_off_confirm(call_off_id=pk, actor_id=None),
    "shipped": lambda pk: services.call_off_ship(call_off_id=pk, actor_id=None),
    "received": lambda pk: services.call_off_receive(call_off_id=pk, actor_id=None),
    "cancelled": lambda pk: services.call_off_cancel(call_off_id=pk, actor_id=None, reason="r"),
}
TRANSFER_ACTIONS: dict[str, Any] = {
    "picked": lambda pk: services.transfer_order_pick(transfer_order_id=pk, actor_id=None),
    "received": lambda pk: services.transfer_order_receive(transfer_order_id=pk, actor_id=None),
    "cancelled": lambda pk: services.transfer_order_cancel(
        transfer_order_id=pk, actor_id=None, reason="r"
    ),
}


def call_off_in(chain, status: str) -> CallOff:  # type: ignore[no-untyped-def]
    return CallOff.objects.create(
        supplier=chain.supplier,
        product=chain.part,
        location=chain.warehouse,
        quantity=D("10"),
        due_at=timezone.now(),
        status=status,
        received_quantity=D("10") if status == "received" else None,
    )


def transfer_in(chain, status: str) -> TransferOrder:  # type: ignore[no-untyped-def]
    return TransferOrder.objects.create(
        product=chain.part,
        from_location=chain.warehouse,
        to_location=chain.line_side,
        quantity=D("5"),
        due_at=timezone.now(),
        status=status,
        received_quantity=D("5") if status == "received" else None,
    )


def test_the_tables_cover_every_status_and_end_in_received_or_cancelled() -> None:
    assert set(CALL_OFF_TRANSITIONS) == set(CallOffStatus.values)
    assert set(TRANSFER_TRANSITIONS) == set(TransferStatus.values)
    assert CALL_OFF_TRANSITIONS["received"] == CALL_OFF_TRANSITIONS["cancelled"] == frozenset()
    assert TRANSFER_TRANSITIONS["received"] == TRANSFER_TRANSITIONS["cancelled"] == frozenset()


ALLOWED_CALL_OFF = [(a, b) for a, targets in CALL_OFF_TRANSITIONS.items() for b in targets]
REFUSED_CALL_OFF = [
    (a, b)
    for a in CallOffStatus.values
    for b in CALL_OFF_ACTIONS
    if b not in CALL_OFF_TRANSITIONS[a]
]
ALLOWED_TRANSFER = [(a, b) for a, targets in TRANSFER_TRANSITIONS.items() for b in targets]
REFUSED_TRANSFER = [
    (a, b)
    for a in TransferStatus.values
    for b in TRANSFER_ACTIONS
    if b not in TRANSFER_TRANSITIONS[a]
]


@pytest.mark.parametrize(("start", "to"), ALLOWED_CALL_OFF)
def test_every_allowed_call_off_move_works_and_writes_its_event(chain, start, to):  # type: ignore[no-untyped-def]
    order = call_off_in(chain, start)
    moved = CALL_OFF_ACTIONS[to](order.pk)
    assert (moved.status, moved.version) == (to, 2)
    event = CallOffEvent.objects.get(call_off=order)
    assert (event.from_status, event.to_status) == (start, to)
    assert getattr(moved, f"{to}_at") is not None


@pytest.mark.parametrize(("start", "to"), REFUSED_CALL_OFF)
def test_every_other_call_off_move_is_refused_and_changes_nothing(chain, start, to):  # type: ignore[no-untyped-def]
    order = call_off_in(chain, start)
    stock = StockLevel.objects.get(product=chain.part, location=chain.warehouse).on_hand
    with pytest.raises(NotAllowed) as refused:
        CALL_OFF_ACTIONS[to](order.pk)
    assert refused.value.code == "out_of_sequence" and refused.value.field == "status"
    assert f"CO-{order.pk} is {CallOffStatus(start).label.lower()}" in refused.value.message
    order.refresh_from_db()
    assert (order.status, order.version) == (start, 1)
    assert not CallOffEvent.objects.filter(call_off=order).exists()
    assert StockLevel.objects.get(product=chain.part, location=chain.warehouse).on_hand == stock


@pytest.mark.parametrize(("start", "to"), ALLOWED_TRANSFER)
def test_every_allowed_transfer_move_works_and_writes_its_event(chain, start, to):  # type: ignore[no-untyped-def]
    order = transfer_in(chain, start)
    moved = TRANSFER_ACTIONS[to](order.pk)
    assert (moved.status, moved.version) == (to, 2)
    event = TransferOrderEvent.objects.get(transfer_order=order)
    assert (event.from_status, event.to_status) == (start, to)


@pytest.mark.parametrize(("start", "to"), REFUSED_TRANSFER)
def test_every_other_transfer_move_is_refused_and_changes_nothing(chain, start, to):  # type: ignore[no-untyped-def]
    order = transfer_in(chain, start)
    with pytest.raises(NotAllowed) as refused:
        TRANSFER_ACTIONS[to](order.pk)
    assert refused.value.code == "out_of_sequence"
    order.refresh_from_db()
    assert (order.status, order.version) == (start, 1)
    assert not TransferOrderEvent.objects.filter(transfer_order=order).exists()
    assert StockLevel.objects.get(product=chain.part, location=chain.warehouse).on_hand == D("20")


def test_an_unknown_order_is_not_found(chain):  # type: ignore[no-untyped-def]
    from production.errors import DomainError

    with pytest.raises(DomainError) as missing:
        services.call_off_confirm(call_off_id=999999, actor_id=None)
    assert missing.value.code == "not_found"
