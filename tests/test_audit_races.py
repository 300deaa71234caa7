"""The audit trail under concurrency, raced for real on PostgreSQL.

Two planners changing two products at once: each history row names its own planner
(the actor is per thread of work, never one value the processes' threads share). Two
changes of one product at once: the history's snapshots follow each other, so each
entry's diff is what that change did (the service locks the row before it reads it).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings
from django.db.models.signals import pre_save

from production.models import Product
from production.services.products import product_update
from tests.factories import UserFactory
from tests.test_races import run_in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.USES_POSTGRES, reason="row locks need PostgreSQL"),
]
PAUSE = 0.4


@pytest.fixture
def paused_saves() -> Any:
    """Every product save waits a while, so concurrent changes overlap."""

    def pause(**kwargs: Any) -> None:
        time.sleep(PAUSE)

    pre_save.connect(pause, sender=Product, dispatch_uid="audit-race-pause")
    yield
    pre_save.disconnect(sender=Product, dispatch_uid="audit-race-pause")


def test_two_planners_changing_two_products_at_once_are_each_recorded(plant, paused_saves):  # type: ignore[no-untyped-def]
    pete, paula = UserFactory(username="pete"), UserFactory(username="paula")
    jobs = [
        lambda: product_update(product=plant.finished, name="by pete", actor_id=pete.pk),
        lambda: product_update(product=plant.component, name="by paula", actor_id=paula.pk),
    ]
    assert run_in_threads(jobs) == []
    finished = plant.finished.history.latest("history_id")
    component = plant.component.history.latest("history_id")
    assert (finished.name, finished.history_user) == ("by pete", pete)
    assert (component.name, component.history_user) == ("by paula", paula)


def test_two_changes_of_one_product_at_once_leave_a_true_history(plant, paused_saves):  # type: ignore[no-untyped-def]
    pete, paula = UserFactory(username="pete"), UserFactory(username="paula")
    product = plant.finished
    jobs = [
        lambda: product_update(product=product, name="renamed", actor_id=pete.pk),
        lambda: product_update(product=product, unit="kg", actor_id=paula.pk),
    ]
    assert run_in_threads(jobs) == []
    latest = product.history.latest("history_id")
    stored = Product.objects.get(pk=product.pk)
    assert (stored.name, stored.unit) == ("renamed", "kg")
    # The last snapshot is the row as it is: the second change saw the first one.
    assert (latest.name, latest.unit) == ("renamed", "kg")
