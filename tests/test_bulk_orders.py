"""The pull engine's orders and their first events in one statement a kind
(`production.bulk.bulk_insert_with_events`): every order gets its own key, in order, and
exactly one event pointing to it, with who and when; one round trip for the lot."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from production.models import WorkOrder, WorkOrderEvent, WorkOrderOrigin, WorkOrderStatus
from production.services.work_orders import NewWorkOrder, work_orders_create_many
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_orders_and_their_events_are_written_together_in_order(plant) -> None:  # type: ignore[no-untyped-def]
    planner = UserFactory(username="bulk-planner")
    items = [
        NewWorkOrder(
            product=plant.finished if n % 2 else plant.component,
            quantity=Decimal(n + 1),
            origin=WorkOrderOrigin.MANUAL,
            plan_explanation={"n": n},
        )
        for n in range(25)
    ]
    with CaptureQueriesContext(connection) as queries:
        made = work_orders_create_many(items, actor_id=planner.pk)
    inserts = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().startswith(("INSERT", "WITH"))
    ]
    if connection.vendor == "postgresql":
        assert len(inserts) == 1  # the orders and their events, one statement
    assert [wo.quantity for wo in made] == [Decimal(n + 1) for n in range(25)]
    assert len({wo.pk for wo in made}) == 25 and all(wo.pk for wo in made)
    for n, wo in enumerate(made):
        stored = WorkOrder.objects.get(pk=wo.pk)
        assert stored.quantity == Decimal(n + 1) and stored.plan_explanation == {"n": n}
        (event,) = WorkOrderEvent.objects.filter(work_order=wo)
        assert (event.to_status, event.actor_id) == (WorkOrderStatus.PLANNED, planner.pk)
        assert event.created_at is not None
