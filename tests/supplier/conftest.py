"""Fixtures of the supplier's portal: suppliers and their users."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from production.supply.models import Supplier
from production.supply.portal.services import supplier_user_tie
from tests.factories import UserFactory


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
