"""A transfer loop's card on its line's board shows its transfer order, when it is due and,
once the late sweep marked it, that it is late; the board's fingerprint follows both."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kanban.models import CardStatus
from kanban.selectors.board import board_etag, board_for_line, board_line
from kanban.services import card_move, loop_create
from production.supply.services.late import replenishment_mark_late
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def test_a_transfer_card_shows_its_order_and_its_late_mark(operator_client, plant, operator):  # type: ignore[no-untyped-def]
    line_side = LocationFactory(code="ls-assembly", kind="line_side")
    loop = loop_create(
        product=plant.finished,
        location=line_side,
        container_quantity=Decimal("5"),
        card_count=1,
        source="transfer",
        source_location=plant.supermarket,
    )
    card = loop.cards.get()
    card_move(card_id=card.pk, to=CardStatus.EMPTY, actor_id=operator.pk)
    card.refresh_from_db()
    assert card.transfer_order_id is not None
    line = board_line(plant.assembly.code)  # as the board's views read it
    before = board_etag(line)
    assert board_for_line(line).etag == before  # the two fingerprints agree

    page = operator_client.get(reverse("kanban:board", args=[plant.assembly.code]))
    html = page.content.decode()
    assert f"Transfer TO-{card.transfer_order_id}" in html and "due" in html
    assert "Late: past its due time" not in html

    marked = replenishment_mark_late(now=timezone.now() + timedelta(days=2))
    assert marked.transfer_order_ids == [card.transfer_order_id]
    line = board_line(plant.assembly.code)
    after = board_etag(line)
    assert after != before and board_for_line(line).etag == after
    html = operator_client.get(reverse("kanban:board", args=[plant.assembly.code])).content.decode()
    assert "Late: past its due time" in html


def test_purchased_parts_are_on_the_boards_index_with_their_late_orders(operator_client, operator):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from production.supply.models import Supplier
    from tests.factories import ProductFactory

    index = reverse("kanban:boards")
    assert "purchased-parts" not in operator_client.get(index).content.decode()  # none yet

    acme = Supplier.objects.create(code="acme", name="ACME", lead_time_days=Decimal("2"))
    bought = ProductFactory(sku="BUY-1", line=None, supermarket=LocationFactory(code="sm-buy"))
    loop = loop_create(
        product=bought,
        container_quantity=Decimal("10"),
        card_count=3,
        source="supplier",
        supplier=acme,
    )
    for card in loop.cards.all()[:2]:
        card_move(card_id=card.pk, to=CardStatus.EMPTY, actor_id=operator.pk)
    with CaptureQueriesContext(connection) as queries:
        html = operator_client.get(index).content.decode()
    assert 'id="purchased-parts"' in html and "3 cards · 2 on order" in html and "late" not in html
    counted = len(queries)

    replenishment_mark_late(now=timezone.now() + timedelta(days=3))
    html = operator_client.get(index).content.decode()
    assert "2 late" in html
    # The page it links to shows only the purchased parts' orders.
    page = operator_client.get(reverse("supply:replenishment") + "?purchased=1").content.decode()
    assert "BUY-1" in page and "Open replenishment of purchased parts" in page
    # More purchased cards, the same queries.
    more = ProductFactory(sku="BUY-2", line=None, supermarket=LocationFactory(code="sm-buy-2"))
    loop_create(product=more, card_count=4, source="supplier", supplier=acme)
    with CaptureQueriesContext(connection) as queries:
        operator_client.get(index)
    assert len(queries) == counted
