"""The dashboards' index counts each line's late call-offs and transfers, and those of
purchased parts (on no line), with a link to the replenishment page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kanban.models import CardStatus
from kanban.services import card_move, loop_create
from production.supply.services.late import replenishment_mark_late
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def test_the_index_counts_late_replenishment_per_line(client, plant, planner):  # type: ignore[no-untyped-def]
    line_side = LocationFactory(code="ls-assembly", kind="line_side")
    loop = loop_create(
        product=plant.finished,
        location=line_side,
        container_quantity=Decimal("5"),
        card_count=2,
        source="transfer",
        source_location=plant.supermarket,
    )
    for card in loop.cards.all():
        card_move(card_id=card.pk, to=CardStatus.EMPTY, actor_id=planner.pk)
    client.force_login(planner)
    planner_client = client
    url = reverse("dashboards:index")
    assert "2 late" not in planner_client.get(url).content.decode()
    replenishment_mark_late(now=timezone.now() + timedelta(days=3))
    html = planner_client.get(url).content.decode()
    assert "2 late" in html and reverse("supply:replenishment") in html
