"""Demand intake on its one-statement path: no transaction open, as under a real server.

The tests of `test_demand_events` run inside a test transaction, where the intake
takes its transactional path; these run the same behaviour with real commits,
where a single INSERT resolves the SKUs, stores the events and commits alone.
"""

from __future__ import annotations

import pytest

from production.models import DemandEvent
from production.webhooks.models import WebhookDelivery
from production.webhooks.services import webhook_subscription_create
from tests.api.conftest import problem_fields
from tests.api.test_demand_events import (
    URL,
    event,
    test_a_list_gives_per_item_results,
    test_one_event_is_stored_and_a_repeat_changes_nothing,
    test_stored_demand_is_processed_after_commit,
)
from tests.support import free_port

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = [
    "test_a_list_gives_per_item_results",
    "test_one_event_is_stored_and_a_repeat_changes_nothing",
    "test_stored_demand_is_processed_after_commit",
]


def test_an_unknown_sku_stores_nothing_of_the_list(erp, plant):
    items = [event(1), event(2, sku="NOPE"), event(3), event(4, sku="ALSO-NOPE")]
    response = erp.post(URL, items, format="json")
    assert response.status_code == 400
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(errors) == {"[1].product", "[3].product"}
    assert "NOPE" in errors["[1].product"] and "ALSO-NOPE" in errors["[3].product"]
    assert DemandEvent.objects.count() == 0
    assert erp.post(URL, event(2, sku="NOPE"), format="json").status_code == 400
    assert DemandEvent.objects.count() == 0


def test_a_repeat_names_the_product_it_was_stored_for(erp, plant):
    erp.post(URL, event(1, sku="F-100"), format="json")
    again = erp.post(URL, event(1, sku="C-100"), format="json")
    assert again.status_code == 200
    assert again.json()["result"] == "duplicate" and again.json()["product"] == "F-100"
    assert DemandEvent.objects.get().product.sku == "F-100"


def test_with_a_subscriber_the_deliveries_commit_with_the_events(erp, plant):
    webhook_subscription_create(url="http://127.0.0.1:9/hook", event_types=["demand.received"])
    response = erp.post(URL, [event(1), event(2, sku="C-100")], format="json")
    assert response.status_code == 201
    bodies = [d.body for d in WebhookDelivery.objects.order_by("pk")]
    assert len(bodies) == 2
    assert '"external_id":"SO-1"' in bodies[0] and '"product":"C-100"' in bodies[1]


def test_one_event_is_one_statement(erp, plant, django_assert_num_queries):
    """Under a server (autocommit, token seen before), storing an event is one round trip."""
    from production.tasks import _pending_flag_set

    assert erp.post(URL, event(1), format="json").status_code == 201
    assert _pending_flag_set()  # a drain is queued already: the kick stops at the flag
    with django_assert_num_queries(1) as captured:
        assert erp.post(URL, event(2), format="json").status_code == 201
    assert captured.captured_queries[0]["sql"].startswith("INSERT INTO")


def test_with_redis_down_demand_is_still_stored(erp, plant, caplog, settings):
    """Redis (throttle, processing kick) is down: the event is stored all the same, the
    answer is 201, and the reconciler will queue its processing."""
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    response = erp.post(URL, event(1), format="json")
    assert response.status_code == 201
    assert DemandEvent.objects.get().processed_at is None
    logged = caplog.text
    assert "throttle not applied" in logged and "could not queue demand processing" in logged


def test_a_key_repeated_in_a_list_for_another_product_is_refused_naming_both(erp, plant):
    response = erp.post(URL, [event(1, sku="F-100"), event(1, sku="C-100")], format="json")
    assert response.status_code == 400
    assert problem_fields(response) == {"[0].external_id", "[1].external_id"}
    assert DemandEvent.objects.count() == 0


def test_an_unknown_sku_in_a_repeated_key_is_refused_too(erp, plant):
    response = erp.post(URL, [event(2), event(2, sku="NOPE")], format="json")
    assert response.status_code == 400
    assert problem_fields(response) == {"[0].external_id", "[1].external_id", "[1].product"}
    assert DemandEvent.objects.count() == 0


def test_overlapping_lists_sent_at_once_in_opposite_orders_do_not_deadlock(integration_user, plant):
    """Rows are inserted in key order, so two requests never wait on each other in a circle."""
    import threading

    from django.db import connection

    from tests.api.conftest import token_client

    codes: list[int] = []
    barrier = threading.Barrier(2)

    def send(batch: list[dict]) -> None:
        try:
            client = token_client(integration_user)
            barrier.wait(10)
            codes.append(client.post(URL, batch, format="json").status_code)
        finally:
            connection.close()

    for round_ in range(5):
        items = [event(1000 * round_ + n, sku="C-100" if n % 2 else "F-100") for n in range(1000)]
        codes.clear()
        threads = [
            threading.Thread(target=send, args=(items,)),
            threading.Thread(target=send, args=(items[::-1],)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(codes) in ([200, 201], [201, 201]), codes
        assert DemandEvent.objects.count() == 1000 * (round_ + 1)
