"""Fixtures of the supplier's portal: suppliers and their users."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from production.supply.models import Supplier
from production.supply.portal.services import supplier_user_tie
from tests.factories import UserFactory

# The private broker of the real-worker tests (test_mail_worker.py).
from tests.integration.conftest import broker  # noqa: F401


def make_supplier(code: str, **values: Any) -> Supplier:
    values.setdefault("name", f"Supplier {code}")
    values.setdefault("lead_time_days", Decimal("2"))
    values.setdefault("email", f"orders@{code}.example")
    return Supplier.objects.create(code=code, **values)


def supplier_login(username: str, supplier: Supplier) -> Any:
    user = UserFactory(username=username)
    supplier_user_tie(user=user, supplier=supplier)
    return user


@pytest.fixture
def acme(db: None) -> Supplier:
    return make_supplier("acme", name="Acme Castings")


@pytest.fixture
def bolt(db: None) -> Supplier:
    return make_supplier("bolt", name="Bolt & Nut")


@pytest.fixture
def acme_user(acme: Supplier) -> Any:
    return supplier_login("sam-acme", acme)


@pytest.fixture
def bolt_user(bolt: Supplier) -> Any:
    return supplier_login("bea-bolt", bolt)


def open_call_off(supplier: Supplier, product: Any, *, quantity: str = "10", **values: Any) -> Any:
    """A call-off as the pull signal opens it, with its e-mail queued in the same
    transaction (production.supply.portal.mail)."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from production.supply.models import CallOff
    from production.supply.portal.mail import call_off_mails_queue

    values.setdefault("location", product.supermarket)
    values.setdefault("due_at", timezone.now() + timedelta(days=float(supplier.lead_time_days)))
    with transaction.atomic():
        call_off = CallOff.objects.create(
            supplier=supplier, product=product, quantity=Decimal(quantity), **values
        )
        call_off_mails_queue(call_offs=[call_off])
    return call_off


@pytest.fixture
def part(db: None) -> Any:
    """A bought-in part: no line of the plant makes it."""
    from tests.factories import LocationFactory, ProductFactory

    return ProductFactory(
        sku="P-200", name="Cast housing", line=None, supermarket=LocationFactory(code="sm-buy")
    )


def signal(loop: Any, count: int = 1) -> list[Any]:
    """Empty `count` full cards of a supplier loop on the board: each pull signal opens a
    call-off (supply's engine), which queues its e-mail."""
    from kanban.models import CardStatus
    from kanban.services import card_move
    from production.supply.models import CallOff

    made = []
    for card in list(loop.cards.filter(status=CardStatus.FULL).order_by("number")[:count]):
        card_move(card_id=card.pk, to=CardStatus.EMPTY, actor_id=None)
        card.refresh_from_db()
        made.append(CallOff.objects.get(pk=card.call_off_id))
    return made


@pytest.fixture
def acme_loop(acme: Supplier, part: Any) -> Any:
    from kanban.services import loop_create

    return loop_create(product=part, card_count=4, source="supplier", supplier=acme)


@pytest.fixture
def bolt_loop(bolt: Supplier) -> Any:
    from kanban.services import loop_create
    from tests.factories import LocationFactory, ProductFactory

    nut = ProductFactory(
        sku="P-300", name="Hex nut M8", line=None, supermarket=LocationFactory(code="sm-nut")
    )
    return loop_create(product=nut, card_count=2, source="supplier", supplier=bolt)
