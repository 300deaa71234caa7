"""Push lines are worked on the board: their push work orders, started and finished there."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kanban.selectors.board import board_etag, board_line
from production.models import (
    LineMode,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderOrigin,
    WorkOrderStatus,
)
from production.services import (
    line_switch_mode,
    work_order_cancel,
    work_order_complete,
    work_order_create,
    work_order_release,
    work_order_start,
)

pytestmark = pytest.mark.django_db
S = WorkOrderStatus


def _order(
    product,
    *,
    status: str = S.RELEASED,
    due_in_hours: float = 4,
    origin: str = WorkOrderOrigin.PUSH,
) -> WorkOrder:  # type: ignore[no-untyped-def]
    order = work_order_create(
        product=product,
        quantity=Decimal("7"),
        origin=origin,
        due_at=timezone.now() + timedelta(hours=due_in_hours),
    )
    if status == S.PLANNED:
        return order
    work_order_release(work_order_id=order.pk)
    if status in (S.IN_PROGRESS, S.DONE):
        work_order_start(work_order_id=order.pk)
    if status == S.DONE:
        work_order_complete(work_order_id=order.pk)
    if status == S.CANCELLED:
        work_order_cancel(work_order_id=order.pk, reason="not needed")
    return WorkOrder.objects.get(pk=order.pk)


@pytest.fixture
def push_line(make_line):  # type: ignore[no-untyped-def]
    line, loops = make_line(code="pl", products=2, cards=2)
    line_switch_mode(line=line, mode=LineMode.PUSH, reason="forecast trial", actor_id=None)
    line.refresh_from_db()
    return line, [loop.product for loop in loops]


def _action(client, order: WorkOrder, action: str, **headers):  # type: ignore[no-untyped-def]
    url = reverse("kanban:board-order", args=[order.line.code, order.pk, action])
    return client.post(url, {"version": order.version}, headers={"HX-Request": "true", **headers})


def test_a_push_line_board_shows_its_released_running_and_todays_orders(  # type: ignore[no-untyped-def]
    operator_client, push_line
):
    _line, (first, second) = push_line
    late = _order(first, due_in_hours=-2)
    running = _order(second, status=S.IN_PROGRESS)
    done = _order(first, status=S.DONE)
    yesterday = _order(second, status=S.DONE)
    WorkOrder.objects.filter(pk=yesterday.pk).update(
        completed_at=timezone.localtime().replace(hour=0, minute=0) - timedelta(hours=3)
    )
    planned = _order(first, status=S.PLANNED)
    cancelled = _order(first, status=S.CANCELLED)
    html = operator_client.get(reverse("kanban:board", args=["pl"])).content.decode()
    assert 'id="push-orders"' in html
    for shown in (late, running, done):
        assert f'id="order-{shown.pk}"' in html
    for hidden in (yesterday, planned, cancelled):
        assert f'id="order-{hidden.pk}"' not in html
    # In progress first (to finish), then released by due time; what each offers.
    assert html.index(f'id="order-{running.pk}"') < html.index(f'id="order-{late.pk}"')
    assert f'id="order-{running.pk}-finish"' in html and f'id="order-{late.pk}-start"' in html
    assert f'id="order-{done.pk}-' not in html
    assert "7 pcs" in html and "late" in html


def test_an_operator_starts_and_finishes_a_push_order_from_the_board(  # type: ignore[no-untyped-def]
    operator_client, operator, push_line
):
    _line, (product, _other) = push_line
    order = _order(product)
    started = _action(operator_client, order, "start")
    assert started.status_code == 200
    assert json.loads(started["HX-Trigger"])["pb-moved"]["order"] == order.pk
    order.refresh_from_db()
    assert order.status == S.IN_PROGRESS
    assert f'id="order-{order.pk}-finish"' in started.content.decode()
    # If-Match as in the API: the version the board showed.
    finished = _action(operator_client, order, "finish", **{"If-Match": f'"{order.version}"'})
    assert finished.status_code == 200
    order.refresh_from_db()
    assert order.status == S.DONE
    events = WorkOrderEvent.objects.filter(work_order=order).order_by("id")
    assert [(e.to_status, e.actor_id) for e in events][-2:] == [
        (S.IN_PROGRESS, operator.pk),
        (S.DONE, operator.pk),
    ]


def test_a_stale_or_wrong_order_action_is_refused_and_changes_nothing(  # type: ignore[no-untyped-def]
    operator_client, push_line, make_line
):
    _line, (product, _other) = push_line
    order = _order(product)
    stale = WorkOrder.objects.get(pk=order.pk)
    stale.version -= 1
    refused = _action(operator_client, stale, "start")
    assert refused.status_code == 412
    detail = json.loads(refused["HX-Trigger"])["pb-move-refused"]
    assert detail["order"] == order.pk and "changed by someone else" in detail["message"]
    assert b'id="board-columns"' in refused.content  # the columns as they are
    bad = _action(operator_client, order, "start", **{"If-Match": "three"})
    assert bad.status_code == 400
    assert json.loads(bad["HX-Trigger"])["pb-move-refused"]["field"] == "version"
    finish_released = _action(operator_client, order, "finish")
    assert finish_released.status_code == 409
    unknown = _action(operator_client, order, "explode")
    assert unknown.status_code == 404
    _other_line, _loops = make_line(code="other", products=1, cards=1)
    wrong = operator_client.post(
        reverse("kanban:board-order", args=["other", order.pk, "start"]),
        {"version": order.version},
        headers={"HX-Request": "true"},
    )
    assert wrong.status_code == 404
    order.refresh_from_db()
    assert order.status == S.RELEASED and order.version == stale.version + 1


def test_kanban_orders_are_not_worked_as_push_orders(operator_client, plant):  # type: ignore[no-untyped-def]
    from kanban.services import card_move

    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to="empty", actor_id=None)
    card.refresh_from_db()
    order = WorkOrder.objects.get(pk=card.work_order_id)
    assert _action(operator_client, order, "start").status_code == 404
    html = operator_client.get(reverse("kanban:board", args=["assembly"])).content.decode()
    assert 'id="push-orders"' not in html  # a pull line with no push orders: no section


def test_released_push_orders_stay_on_the_board_after_a_switch_back_to_pull(  # type: ignore[no-untyped-def]
    operator_client, push_line
):
    line, (product, other) = push_line
    left = _order(product)
    done = _order(other, status=S.DONE)
    line_switch_mode(line=line, mode=LineMode.PULL, reason="back to kanban", actor_id=None)
    html = operator_client.get(reverse("kanban:board", args=["pl"])).content.decode()
    assert f'id="order-{left.pk}-start"' in html and f'id="order-{done.pk}"' in html
    work_order_cancel(work_order_id=left.pk, reason="not needed after all")
    html = operator_client.get(reverse("kanban:board", args=["pl"])).content.decode()
    assert f'id="order-{left.pk}"' not in html


def test_a_push_order_change_changes_the_board_fingerprint(operator_client, push_line):  # type: ignore[no-untyped-def]
    line, (product, _other) = push_line
    order = _order(product)
    before = board_etag(board_line(pk=line.pk))
    url = reverse("kanban:board-columns", args=["pl"])
    assert operator_client.get(url, headers={"If-None-Match": f'"{before}"'}).status_code == 304
    work_order_start(work_order_id=order.pk)
    assert board_etag(board_line(pk=line.pk)) != before
    assert operator_client.get(url, headers={"If-None-Match": f'"{before}"'}).status_code == 200


@pytest.mark.parametrize("orders", [2, 40])
def test_a_push_board_runs_a_fixed_number_of_queries(  # type: ignore[no-untyped-def]
    operator_client, push_line, django_assert_max_num_queries, orders
):
    _line, (product, other) = push_line
    for i in range(orders):
        _order(product if i % 2 else other, status=S.IN_PROGRESS if i % 3 else S.RELEASED)
    # session, user, roles, line (with its orders' facts), cards, orders
    with django_assert_max_num_queries(6):
        response = operator_client.get(reverse("kanban:board", args=["pl"]))
    assert response.content.decode().count('class="order status-') == orders


def test_a_push_order_change_reaches_open_boards_as_a_refetch(push_line):  # type: ignore[no-untyped-def]
    from kanban import stream
    from kanban.selectors.board import board_for_line

    line, (product, _other) = push_line
    order = _order(product)
    before = board_for_line(board_line(pk=line.pk))
    work_order_start(work_order_id=order.pk)
    after, message = stream._change_message(line.pk, before, {"changed"})
    # Lanes cannot carry the push orders' section: every board fetches its columns.
    assert message is not None and message.startswith("event: changed\n")
    assert after is not None and after.orders is not None
    assert [o.status for o in after.orders.orders] == [S.IN_PROGRESS]


def test_a_dated_switch_is_announced_on_the_board_until_it_takes_effect(  # type: ignore[no-untyped-def]
    operator_client, plant
):
    at = timezone.now() + timedelta(days=3)
    line_switch_mode(
        line=plant.assembly, mode=LineMode.PUSH, reason="season", actor_id=None, effective_at=at
    )
    line = board_line(plant.assembly.code)
    assert line is not None and line.coming_mode == LineMode.PUSH and line.coming_at == at
    page = operator_client.get(reverse("kanban:board", args=[plant.assembly.code]))
    text = page.content.decode()
    assert 'class="coming-switch"' in text and "Switches to push mode on" in text
    assert board_line(plant.fab.code).coming_mode is None  # type: ignore[union-attr]
    page = operator_client.get(reverse("kanban:board", args=[plant.fab.code]))
    assert 'class="coming-switch"' not in page.content.decode()
