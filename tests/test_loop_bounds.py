"""A kanban loop has at most PULLBOARD_LOOP_MAX_CARDS cards: the admin refuses more, the
service too, and sizing never recommends more."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from kanban.models import KanbanLoop
from kanban.services import loop_create, loop_size
from production.errors import DomainError
from production.models import DemandEvent
from tests.factories import ProductFactory
from tests.test_admin import loop_add_data, url


def test_the_admin_refuses_a_loop_past_the_bound(plant, admin_user, settings):
    client = Client()
    client.force_login(admin_user)
    product = ProductFactory(sku="F-300", line=plant.assembly, supermarket=plant.supermarket)
    response = client.post(
        url("kanban.kanbanloop", "add"), loop_add_data(product, card_count="20000")
    )
    assert response.status_code == 200
    assert "at most 200 cards" in response.content.decode()
    assert not KanbanLoop.objects.filter(product=product).exists()


def test_the_service_refuses_a_loop_past_the_bound(plant, settings):
    settings.PULLBOARD = {**settings.PULLBOARD, "LOOP_MAX_CARDS": 10}
    product = ProductFactory(sku="F-300", line=plant.assembly, supermarket=plant.supermarket)
    with pytest.raises(DomainError) as refused:
        loop_create(product=product, card_count=11)
    assert refused.value.field == "card_count"
    assert loop_create(product=product, card_count=10).cards.count() == 10


def test_sizing_recommends_at_most_the_bound_and_says_so(plant):
    now = timezone.now()
    DemandEvent.objects.bulk_create(
        DemandEvent(
            product=plant.finished,
            quantity=Decimal("900000"),
            occurred_at=now - timedelta(days=day, hours=1),
            source="history",
            external_id=f"h{day}",
            processed_at=now,
            status="fulfilled",
        )
        for day in range(28)
    )
    loop = loop_size(loop=plant.finished_loop, now=now)
    assert loop.recommended_card_count == 200
    assert loop.recommendation["capped_at"] == 200
