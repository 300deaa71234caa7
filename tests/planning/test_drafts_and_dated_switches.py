"""Push plans a planner reviews before release, and mode switches that take effect at
their date in both directions (the old policy runs until then)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from kanban.models import CardStatus
from production.errors import NotAllowed
from production.models import LineMode, WorkOrder
from production.planning.models import PushPlan
from production.planning.services.push import (
    push_plan_discard,
    push_plan_draft,
    push_plan_release,
    push_plans_run_due,
)
from production.services import line_mode_switches_apply_due, line_switch_mode, stock_consume
from tests.factories import LineFactory, ProductFactory
from tests.planning.test_push import TODAY, forecast_for
from tests.test_races import run_in_threads

D = Decimal


def _push_line():  # type: ignore[no-untyped-def]
    line = LineFactory(code="press", mode=LineMode.PUSH, capacity_per_day=D("100"))
    forecast_for(ProductFactory(sku="P-1", line=line, lead_time_days=D("2")), per_day=10)
    return line


def test_a_draft_releases_nothing_until_released_and_then_once(db) -> None:  # type: ignore[no-untyped-def]
    line = _push_line()
    plan = push_plan_draft(line=line, period_start=TODAY)
    assert plan.status == "draft" and not WorkOrder.objects.exists()
    row = plan.lines.get()
    assert row.quantity > 0 and row.explanation["due_at"].startswith("2026-03-04")
    assert push_plan_draft(line=line, period_start=TODAY) == plan  # one plan per period
    push_plan_release(plan_id=plan.pk, actor_id=None)
    push_plan_release(plan_id=plan.pk, actor_id=None)
    order = WorkOrder.objects.get()
    assert (order.status, order.quantity) == ("released", row.quantity)
    assert order.due_at.date().isoformat() == "2026-03-04"
    with pytest.raises(NotAllowed):
        push_plan_discard(plan_id=plan.pk)


def test_a_discarded_draft_frees_its_period(db) -> None:  # type: ignore[no-untyped-def]
    line = _push_line()
    first = push_plan_draft(line=line, period_start=TODAY)
    push_plan_discard(plan_id=first.pk)
    with pytest.raises(NotAllowed, match="discarded"):
        push_plan_release(plan_id=first.pk)
    second = push_plan_draft(line=line, period_start=TODAY)
    assert second.pk != first.pk and second.status == "draft"
    assert not WorkOrder.objects.exists()


def test_the_scheduled_run_leaves_a_planners_draft_alone(db) -> None:  # type: ignore[no-untyped-def]
    line = _push_line()
    draft = push_plan_draft(line=line, period_start=TODAY)
    assert push_plans_run_due(today=TODAY) == [draft]
    draft.refresh_from_db()
    assert draft.status == "draft" and not WorkOrder.objects.exists()


def test_the_api_drafts_then_releases(planner, db) -> None:  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    _push_line()
    api = APIClient()
    api.force_authenticate(planner)
    drafted = api.post(
        "/api/v1/push-plans/draft/", {"line": "press", "period_start": "2026-03-02"}, format="json"
    )
    assert drafted.status_code == 201 and drafted.json()["status"] == "draft"
    assert not WorkOrder.objects.exists()
    plan_id = drafted.json()["id"]
    for _attempt in range(2):
        released = api.post(f"/api/v1/push-plans/{plan_id}/release/")
        assert released.status_code == 200 and released.json()["status"] == "released"
    assert WorkOrder.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.USES_POSTGRES, reason="row locks need PostgreSQL")
def test_two_planners_releasing_one_draft_release_it_once() -> None:
    line = _push_line()
    plan = push_plan_draft(line=line, period_start=TODAY)
    errors = run_in_threads([lambda: push_plan_release(plan_id=plan.pk) for _ in range(2)])
    assert errors == []
    assert WorkOrder.objects.filter(origin="push").count() == 1
    assert PushPlan.objects.get().status == "released"


def test_a_future_switch_to_push_keeps_the_cards_pulling_until_its_date(plant) -> None:  # type: ignore[no-untyped-def]
    line, loop = plant.assembly, plant.finished_loop
    at = timezone.now() + timedelta(days=2)
    switch = line_switch_mode(
        line=line, mode="push", reason="trial", actor_id=None, effective_at=at
    )
    line.refresh_from_db()
    assert line.mode == LineMode.PULL and switch.applied_at is None
    # The old policy still answers demand: a used-up container signals its card.
    stock_consume(
        product=plant.finished, location=plant.supermarket, quantity=D("5"), actor_id=None
    )
    pulled = loop.cards.get(status=CardStatus.EMPTY)
    assert pulled.work_order is not None
    forecast_for(plant.finished, per_day=10)
    assert push_plans_run_due(today=TODAY) == []  # not a push line yet
    assert line_mode_switches_apply_due(now=at - timedelta(minutes=1)) == []
    assert line_mode_switches_apply_due(now=at + timedelta(minutes=1)) == [switch]
    line.refresh_from_db()
    assert line.mode == LineMode.PUSH
    before = list(loop.cards.values_list("status", "remaining_quantity").order_by("number"))
    stock_consume(
        product=plant.finished, location=plant.supermarket, quantity=D("5"), actor_id=None
    )
    after = list(loop.cards.values_list("status", "remaining_quantity").order_by("number"))
    assert after == before  # parked now


def test_a_dated_switch_back_to_pull_honours_its_date(db) -> None:  # type: ignore[no-untyped-def]
    line = _push_line()
    at = timezone.now() + timedelta(days=1)
    line_switch_mode(line=line, mode="pull", reason="trial over", actor_id=None, effective_at=at)
    line.refresh_from_db()
    assert line.mode == LineMode.PUSH
    assert len(push_plans_run_due(today=TODAY)) == 1  # still planned until the date
    line_mode_switches_apply_due(now=at)
    line.refresh_from_db()
    assert line.mode == LineMode.PULL


def test_a_new_switch_replaces_the_one_to_come(db) -> None:  # type: ignore[no-untyped-def]
    line = LineFactory(code="lathe")
    soon = timezone.now() + timedelta(days=1)
    first = line_switch_mode(line=line, mode="push", reason="a", actor_id=None, effective_at=soon)
    second = line_switch_mode(
        line=line, mode="push", reason="b", actor_id=None, effective_at=soon + timedelta(days=1)
    )
    first.refresh_from_db()
    assert first.cancelled_at is not None
    assert line_mode_switches_apply_due(now=soon + timedelta(hours=1)) == []
    assert line_mode_switches_apply_due(now=soon + timedelta(days=2)) == [second]


def test_the_plan_and_line_pages_say_what_is_coming(client, planner, db) -> None:  # type: ignore[no-untyped-def]
    line = _push_line()
    at = timezone.now() + timedelta(days=3)
    line_switch_mode(line=line, mode="pull", reason="trial over", actor_id=None, effective_at=at)
    client.force_login(planner)
    when = timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
    coming = f"Coming: line press switches to pull mode on {when}"
    for url in ("/planning/push/", "/planning/lines/press/mode/"):
        assert coming in client.get(url).content.decode(), url
    plan = push_plan_draft(line=line, period_start=TODAY)
    assert coming in client.get(f"/planning/push/{plan.pk}/").content.decode()
