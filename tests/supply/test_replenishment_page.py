"""The replenishment page: open call-offs and transfers with status, due time, late mark
and what a transfer waits for; for operators and planners only; a constant query count."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from production.services import demand_process_pending, demand_record, stock_adjust
from production.supply.models import CallOff, TransferOrder
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


def client_with(role: str | None) -> Client:
    from django.contrib.auth.models import Group

    user = UserFactory()
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    client = Client()
    client.force_login(user)
    return client


def test_the_page_lists_open_orders_with_late_marks_and_what_they_wait_for(chain):  # type: ignore[no-untyped-def]
    demand_record(product=chain.part, quantity=D("5"), external_id="ls", location=chain.line_side)
    demand_process_pending()
    stock_adjust(
        product=chain.part, location=chain.warehouse, delta=D("-18"), reason="count", actor_id=None
    )
    CallOff.objects.update(due_at=timezone.now() - timedelta(hours=1))  # past due
    page = client_with("operator").get("/replenishment/")
    assert page.status_code == 200
    text = page.content.decode()
    call_off, transfer = CallOff.objects.get(), TransferOrder.objects.get()
    assert f'id="call-off-{call_off.pk}" class="late"' in text
    assert "Acme Fasteners" in text
    assert f'id="transfer-{transfer.pk}"' in text
    assert "waits for stock at wh: 2 of 5 there" in text


def test_the_page_says_when_nothing_is_open(chain):  # type: ignore[no-untyped-def]
    text = client_with("planner").get("/replenishment/").content.decode()
    assert "No call-off is open." in text and "No transfer is open." in text


@pytest.mark.parametrize(("role", "status"), [("integration", 403), (None, 403)])
def test_other_roles_are_refused(chain, role, status):  # type: ignore[no-untyped-def]
    assert client_with(role).get("/replenishment/").status_code == status
    assert Client().get("/replenishment/").status_code == 302  # to the login page


def test_the_page_reads_a_constant_number_of_queries(chain, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    now = timezone.now()
    CallOff.objects.bulk_create(
        CallOff(
            supplier=chain.supplier,
            product=chain.part,
            location=chain.warehouse,
            quantity=D("10"),
            due_at=now + timedelta(minutes=i),
        )
        for i in range(300)
    )
    TransferOrder.objects.bulk_create(
        TransferOrder(
            product=chain.part,
            from_location=chain.warehouse,
            to_location=chain.line_side,
            quantity=D("5"),
            due_at=now,
        )
        for _ in range(200)
    )
    client = client_with("planner")
    with django_assert_max_num_queries(12):
        page = client.get("/replenishment/")
    assert page.content.decode().count('id="call-off-') == 300
