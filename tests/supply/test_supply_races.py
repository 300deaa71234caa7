"""Races of supply for real on PostgreSQL: rows that share one rule, changed at once.

Two receipts of one call-off (one order row: received once); a transfer picked while
demand takes from its source (two rows sharing the source's stock level: never oversold);
two transfers from one source that can cover only one; two beat runs marking orders late
(one alert per order).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail

from production.errors import NotAllowed
from production.models import DemandEvent
from production.services import demand_process_pending, demand_record, stock_adjust
from production.supply.models import CallOff, CallOffEvent, TransferOrder
from production.supply.services import (
    call_off_receive,
    replenishment_mark_late,
    transfer_order_pick,
)
from tests.supply_chain import ledger, on_hand, shipped_call_off
from tests.test_races import run_in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.USES_POSTGRES, reason="row locks need PostgreSQL"),
]
D = Decimal


def test_two_receipts_of_one_call_off_receive_it_once(chain):  # type: ignore[no-untyped-def]
    call_off = shipped_call_off(chain)

    def receive() -> None:
        call_off_receive(call_off_id=call_off.pk, actor_id=None, quantity=D("10"))

    errors = run_in_threads([receive, receive])
    assert len(errors) == 1 and isinstance(errors[0], NotAllowed), errors
    assert on_hand(chain, chain.warehouse) == ledger(chain, chain.warehouse) == D("20")
    assert CallOffEvent.objects.filter(call_off=call_off, to_status="received").count() == 1


def line_side_transfers(chain, count: int) -> list[TransferOrder]:  # type: ignore[no-untyped-def]
    recorded = demand_record(
        product=chain.part, quantity=D(5 * count), external_id="ls", location=chain.line_side
    )
    demand_process_pending()
    assert recorded.created
    return list(TransferOrder.objects.order_by("pk"))


@pytest.mark.parametrize("round_", range(3))
def test_a_pick_and_demand_on_the_source_at_once_never_oversell(chain, round_: int):  # type: ignore[no-untyped-def]
    (transfer,) = line_side_transfers(chain, 1)
    stock_adjust(  # 10 left at the warehouse: the pick needs 5, the demand 8
        product=chain.part, location=chain.warehouse, delta=D("-10"), reason="count", actor_id=None
    )
    demand_record(product=chain.part, quantity=D("8"), external_id=f"wh-{round_}")
    outcome: dict[str, object] = {}

    def pick() -> None:
        try:
            transfer_order_pick(transfer_order_id=transfer.pk, actor_id=None)
            outcome["pick"] = "picked"
        except NotAllowed as refused:
            outcome["pick"] = refused.code

    errors = run_in_threads([pick, lambda: demand_process_pending()])
    assert errors == []
    event = DemandEvent.objects.get(external_id=f"wh-{round_}")
    left = on_hand(chain, chain.warehouse)
    assert left == ledger(chain, chain.warehouse) and left >= 0
    if outcome["pick"] == "picked":  # the pick went first: 5 left, the demand short by 3
        assert (event.backordered_quantity, left) == (D("3"), D("0"))
    else:  # the demand went first: 2 left, the pick waits
        assert outcome["pick"] == "source_short"
        assert (event.backordered_quantity, left) == (D("0"), D("2"))


def test_two_transfers_from_a_source_that_covers_one_pick_one(chain):  # type: ignore[no-untyped-def]
    first, second = line_side_transfers(chain, 2)
    stock_adjust(
        product=chain.part, location=chain.warehouse, delta=D("-15"), reason="count", actor_id=None
    )

    def pick(order: TransferOrder):  # type: ignore[no-untyped-def]
        return lambda: transfer_order_pick(transfer_order_id=order.pk, actor_id=None)

    errors = run_in_threads([pick(first), pick(second)])
    assert len(errors) == 1 and getattr(errors[0], "code", "") == "source_short", errors
    assert TransferOrder.objects.filter(status="picked").count() == 1
    assert on_hand(chain, chain.warehouse) == ledger(chain, chain.warehouse) == D("0")


def test_the_late_alert_is_raised_once_across_two_beat_runs_at_once(chain, settings):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from production.webhooks.dispatch import forget_subscriptions
    from production.webhooks.models import WebhookDelivery, WebhookSubscription
    from tests.factories import UserFactory

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    planner = UserFactory(email="planner@plant.test")
    planner.groups.add(Group.objects.get_or_create(name="planner")[0])
    WebhookSubscription.objects.create(
        url="https://erp.test/hooks", event_types=["replenishment.late"]
    )
    forget_subscriptions()  # made without the service, which would tell the emitter
    line_side_transfers(chain, 1)
    stock_adjust(
        product=chain.part, location=chain.warehouse, delta=D("-10"), reason="scrap", actor_id=None
    )
    later = timezone.now() + timezone.timedelta(days=3)  # both orders are past due then
    errors = run_in_threads([lambda: replenishment_mark_late(now=later)] * 2)
    assert errors == []
    replenishment_mark_late(now=later + timezone.timedelta(minutes=1))  # the next beat
    assert CallOff.objects.get().late_at == later
    assert TransferOrder.objects.get().late_at == later
    assert WebhookDelivery.objects.filter(event_type="replenishment.late").count() == 2
    assert CallOffEvent.objects.filter(to_status="late").count() == 1
    late = [m for m in mail.outbox if m.subject.startswith("Late ")]  # not the call-off's own
    subjects = sorted(m.subject for m in late)
    assert len(subjects) == 2 and subjects[0].startswith("Late call-off CO-")
    assert all(m.to == ["planner@plant.test"] for m in late)
