"""A late replenishment is e-mailed to the planners of its line or supplier, and to every
plant-wide planner (one who answers for no line and no supplier in particular); a planner of
another line or supplier is not told."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from production.accounts.models import UserSettings
from production.supply.mail import late_messages
from production.supply.models import TransferOrder
from tests.factories import LineFactory, LocationFactory, ProductFactory, UserFactory
from tests.supplier.conftest import open_call_off


def _planner(name: str, *, lines: Any = (), suppliers: Any = ()) -> Any:
    user = UserFactory(username=name, email=f"{name}@plant.test")
    user.groups.add(Group.objects.get_or_create(name="planner")[0])
    if lines or suppliers:
        scope = UserSettings.objects.create(user=user)
        scope.lines.set(lines)
        scope.suppliers.set(suppliers)
    return user


def test_each_late_order_goes_to_its_lines_and_suppliers_planners(acme, bolt, part) -> None:  # type: ignore[no-untyped-def]
    press, paint = LineFactory(code="press"), LineFactory(code="paint")
    _planner("everything")
    _planner("press-planner", lines=[press])
    _planner("paint-planner", lines=[paint])
    _planner("acme-buyer", suppliers=[acme])
    _planner("bolt-buyer", suppliers=[bolt])
    UserFactory(username="not-a-planner", email="op@plant.test")

    made_on_press = ProductFactory(sku="BRACKET", line=press)
    bought = open_call_off(acme, part)  # a purchased part: on no line
    for_press = open_call_off(acme, made_on_press)
    transfer = TransferOrder.objects.create(
        product=made_on_press,
        quantity=5,
        from_location=LocationFactory(code="wh-1", kind="warehouse"),
        to_location=LocationFactory(code="ls-press", kind="line_side"),
        due_at=timezone.now() - timedelta(hours=1),
    )

    with CaptureQueriesContext(connection) as queries:
        messages = late_messages([bought.pk, for_press.pk], [transfer.pk])
    to = {subject.split(":")[0]: addresses for subject, _, _, addresses in messages}
    assert to == {
        f"Late call-off CO-{bought.pk}": ["acme-buyer@plant.test", "everything@plant.test"],
        f"Late call-off CO-{for_press.pk}": [
            "acme-buyer@plant.test",
            "everything@plant.test",
            "press-planner@plant.test",
        ],
        f"Late transfer TO-{transfer.pk}": ["everything@plant.test", "press-planner@plant.test"],
    }
    # The planners and their scopes are read once, whatever the number of orders.
    assert len(queries) <= 6


def test_with_no_planner_for_it_nobody_is_mailed(acme, part) -> None:  # type: ignore[no-untyped-def]
    other = LineFactory(code="other")
    _planner("other-planner", lines=[other])
    late = open_call_off(acme, part)
    assert late_messages([late.pk], []) == []
