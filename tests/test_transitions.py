"""The two state machines, pair by pair: every (from, to) of the work-order and card tables.

Allowed moves go through and leave an event with who did it; refused moves raise
NotAllowed and change nothing at all (status, version, events, stock, work orders).
"""

from __future__ import annotations

from decimal import Decimal
from itertools import product as pairs

import pytest

from kanban.models import CardEvent, CardStatus, KanbanCard, PullSignal
from kanban.services import CARD_TRANSITIONS, card_move
from production.errors import NotAllowed
from production.models import (
    StockLevel,
    StockMove,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderOrigin,
    WorkOrderStatus,
)
from production.services import WORK_ORDER_TRANSITIONS, line_switch_mode, work_order_transition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


WO = WorkOrderStatus
C = CardStatus

WO_PAIRS = list(pairs(WORK_ORDER_TRANSITIONS, repeat=2))
WO_ALLOWED = [(a, b) for a, b in WO_PAIRS if b in WORK_ORDER_TRANSITIONS[a]]
WO_REFUSED = [(a, b) for a, b in WO_PAIRS if b not in WORK_ORDER_TRANSITIONS[a]]
CARD_PAIRS = list(pairs(CARD_TRANSITIONS, repeat=2))
CARD_ALLOWED = [(a, b) for a, b in CARD_PAIRS if b in CARD_TRANSITIONS[a]]
CARD_REFUSED = [(a, b) for a, b in CARD_PAIRS if b not in CARD_TRANSITIONS[a]]


def test_the_tables_are_the_documented_cycles() -> None:
    assert set(WO_ALLOWED) == {
        (WO.PLANNED, WO.RELEASED),
        (WO.PLANNED, WO.CANCELLED),
        (WO.RELEASED, WO.IN_PROGRESS),
        (WO.RELEASED, WO.CANCELLED),
        (WO.IN_PROGRESS, WO.DONE),
        (WO.IN_PROGRESS, WO.CANCELLED),
    }
    assert set(CARD_ALLOWED) == {
        (C.FULL, C.IN_USE),
        (C.FULL, C.EMPTY),
        (C.FULL, C.RETIRED),
        (C.IN_USE, C.EMPTY),
        (C.EMPTY, C.IN_PROCESS),
        (C.EMPTY, C.RETIRED),
        (C.IN_PROCESS, C.FULL),
    }
    assert len(WO_PAIRS) == 25 and len(CARD_PAIRS) == 25


def on_hand(product) -> Decimal:  # type: ignore[no-untyped-def]
    return StockLevel.objects.get(product=product, location=product.supermarket).on_hand


# --- Work orders -----------------------------------------------------------------------


def manual_order_in(plant, status: str) -> WorkOrder:  # type: ignore[no-untyped-def]
    """A manual order of 5 F-100 brought to `status` through the service itself."""
    from production.services import work_order_create

    order = work_order_create(product=plant.finished, quantity=Decimal("5"))
    path = {
        WO.PLANNED: [],
        WO.RELEASED: [WO.RELEASED],
        WO.IN_PROGRESS: [WO.RELEASED, WO.IN_PROGRESS],
        WO.DONE: [WO.RELEASED, WO.IN_PROGRESS, WO.DONE],
        WO.CANCELLED: [WO.CANCELLED],
    }[status]
    for step in path:
        order = work_order_transition(work_order_id=order.pk, to=step, actor_id=None)
    assert order.status == status
    return order


def snapshot(plant, order: WorkOrder) -> tuple:  # type: ignore[no-untyped-def]
    order.refresh_from_db()
    return (
        order.status,
        order.version,
        order.events.count(),
        StockMove.objects.count(),
        on_hand(plant.finished),
        on_hand(plant.component),
    )


@pytest.mark.parametrize(("from_status", "to_status"), WO_ALLOWED)
def test_allowed_work_order_transition_is_applied_and_logged(
    plant, operator, from_status: str, to_status: str
) -> None:  # type: ignore[no-untyped-def]
    order = manual_order_in(plant, from_status)
    version = order.version
    finished, component = on_hand(plant.finished), on_hand(plant.component)

    moved = work_order_transition(
        work_order_id=order.pk, to=to_status, actor_id=operator.pk, reason="test"
    )

    order.refresh_from_db()
    assert moved.status == order.status == to_status
    assert order.version == version + 1
    event = order.events.order_by("-id").first()
    assert event is not None
    assert (event.from_status, event.to_status, event.actor_id) == (
        from_status,
        to_status,
        operator.pk,
    )
    assert event.created_at is not None
    stamp = {
        WO.RELEASED: "released_at",
        WO.IN_PROGRESS: "started_at",
        WO.DONE: "completed_at",
        WO.CANCELLED: "cancelled_at",
    }[to_status]
    assert getattr(order, stamp) is not None
    # The stock effects of the step: starting takes 2 C per F, completing receives the F.
    if to_status == WO.IN_PROGRESS:
        assert on_hand(plant.component) == component - Decimal("10")
    elif to_status == WO.DONE:
        assert on_hand(plant.finished) == finished + Decimal("5")
    else:
        assert (on_hand(plant.finished), on_hand(plant.component)) == (finished, component)


@pytest.mark.parametrize(("from_status", "to_status"), WO_REFUSED)
def test_refused_work_order_transition_changes_nothing(
    plant, operator, from_status: str, to_status: str
) -> None:  # type: ignore[no-untyped-def]
    order = manual_order_in(plant, from_status)
    before = snapshot(plant, order)

    with pytest.raises(NotAllowed):
        work_order_transition(work_order_id=order.pk, to=to_status, actor_id=operator.pk)

    assert snapshot(plant, order) == before


def test_a_kanban_order_only_moves_with_its_card(plant, operator) -> None:  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=C.EMPTY, actor_id=operator.pk)
    order = WorkOrder.objects.get(pull_signal__card=card)
    assert order.origin == WorkOrderOrigin.KANBAN
    before = snapshot(plant, order)

    with pytest.raises(NotAllowed) as refused:
        work_order_transition(work_order_id=order.pk, to=WO.RELEASED, actor_id=operator.pk)

    assert refused.value.code == "follows_card"
    assert snapshot(plant, order) == before


def test_a_start_without_components_is_refused_and_changes_nothing(plant, operator) -> None:  # type: ignore[no-untyped-def]
    order = manual_order_in(plant, WO.RELEASED)
    WorkOrder.objects.filter(pk=order.pk).update(quantity=Decimal("500"))
    before = snapshot(plant, order)

    with pytest.raises(NotAllowed, match="C-100 short by"):
        work_order_transition(work_order_id=order.pk, to=WO.IN_PROGRESS, actor_id=operator.pk)

    assert snapshot(plant, order) == before


# --- Kanban cards -------------------------------------------------------------------------


def card_in(plant, status: str) -> KanbanCard:  # type: ignore[no-untyped-def]
    """Card #1 of the finished loop, brought to `status` through `card_move`."""
    card = plant.finished_loop.cards.get(number=1)
    path = {
        C.FULL: [],
        C.IN_USE: [C.IN_USE],
        C.EMPTY: [C.EMPTY],
        C.IN_PROCESS: [C.EMPTY, C.IN_PROCESS],
        C.RETIRED: [C.RETIRED],
    }[status]
    for step in path:
        card = card_move(card_id=card.pk, to=step, actor_id=None)
    assert card.status == status
    return card


def card_snapshot(plant, card: KanbanCard) -> tuple:  # type: ignore[no-untyped-def]
    card.refresh_from_db()
    return (
        card.status,
        card.version,
        card.remaining_quantity,
        card.work_order_id,
        CardEvent.objects.count(),
        WorkOrder.objects.count(),
        WorkOrderEvent.objects.count(),
        StockMove.objects.count(),
        on_hand(plant.finished),
        on_hand(plant.component),
    )


@pytest.mark.parametrize(("from_status", "to_status"), CARD_ALLOWED)
def test_allowed_card_move_is_applied_and_logged(
    plant, operator, from_status: str, to_status: str
) -> None:  # type: ignore[no-untyped-def]
    card = card_in(plant, from_status)
    version, stock = card.version, on_hand(plant.finished)
    order_id = card.work_order_id

    moved = card_move(card_id=card.pk, to=to_status, actor_id=operator.pk, reason="test")

    card.refresh_from_db()
    assert moved.status == card.status == to_status
    assert card.version > version
    event = card.events.order_by("-id").first()
    assert event is not None
    assert (event.from_status, event.to_status, event.actor_id, event.source) == (
        from_status,
        to_status,
        operator.pk,
        "board",
    )
    if to_status == C.EMPTY:
        # The container's content left the shelf and the pull signal asks for one more.
        assert card.remaining_quantity == 0
        assert on_hand(plant.finished) == stock - Decimal("5")
        assert card.work_order is not None and card.work_order.status == WO.PLANNED
        assert PullSignal.objects.filter(card=card, work_order=card.work_order).exists()
    elif to_status == C.IN_PROCESS:
        assert card.work_order_id == order_id
        assert card.work_order is not None and card.work_order.status == WO.IN_PROGRESS
        assert on_hand(plant.component) == Decimal("30")  # 5 F x 2 C taken from 40
    elif to_status == C.FULL:
        assert card.remaining_quantity == Decimal("5")
        assert on_hand(plant.finished) == stock + Decimal("5")
        assert WorkOrder.objects.get(pk=order_id).status == WO.DONE
        assert card.work_order_id is None
    elif to_status == C.RETIRED:
        assert card.remaining_quantity == 0
        assert on_hand(plant.finished) == stock - Decimal("5" if from_status == C.FULL else "0")
        if order_id is not None:
            assert WorkOrder.objects.get(pk=order_id).status == WO.CANCELLED
    elif to_status == C.IN_USE:
        assert card.remaining_quantity == Decimal("5")
        assert on_hand(plant.finished) == stock


@pytest.mark.parametrize(("from_status", "to_status"), CARD_REFUSED)
def test_refused_card_move_changes_nothing(
    plant, operator, from_status: str, to_status: str
) -> None:  # type: ignore[no-untyped-def]
    card = card_in(plant, from_status)
    before = card_snapshot(plant, card)

    with pytest.raises(NotAllowed) as refused:
        card_move(card_id=card.pk, to=to_status, actor_id=operator.pk)

    assert refused.value.field == "to"
    assert card_snapshot(plant, card) == before


def test_cards_of_a_push_line_are_parked(plant, planner, operator) -> None:  # type: ignore[no-untyped-def]
    line_switch_mode(line=plant.assembly, mode="push", reason="trial", actor_id=planner.pk)
    card = plant.finished_loop.cards.get(number=1)
    before = card_snapshot(plant, card)

    with pytest.raises(NotAllowed) as refused:
        card_move(card_id=card.pk, to=C.EMPTY, actor_id=operator.pk)

    assert refused.value.code == "parked"
    assert card_snapshot(plant, card) == before


def test_wip_limit_refuses_a_start_without_a_reason_and_logs_an_override(plant, operator) -> None:  # type: ignore[no-untyped-def]
    # The assembly line allows 2 containers in process.
    cards = list(plant.finished_loop.cards.order_by("number"))
    for card in cards:
        card_move(card_id=card.pk, to=C.EMPTY, actor_id=operator.pk)
    for card in cards[:2]:
        card_move(card_id=card.pk, to=C.IN_PROCESS, actor_id=operator.pk)
    before = card_snapshot(plant, cards[2])

    with pytest.raises(NotAllowed) as refused:
        card_move(card_id=cards[2].pk, to=C.IN_PROCESS, actor_id=operator.pk)
    assert refused.value.code == "wip_limit"
    assert card_snapshot(plant, cards[2]) == before

    card_move(
        card_id=cards[2].pk, to=C.IN_PROCESS, actor_id=operator.pk, wip_override_reason="rush"
    )
    event = cards[2].events.order_by("-id").first()
    assert event is not None and event.wip_override and event.reason == "rush"
