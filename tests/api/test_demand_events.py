"""POST demand-events/: one or many, idempotent by external_id and by Idempotency-Key."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from production.models import DemandEvent
from production.webhooks.models import IdempotencyKey
from tests.api.conftest import problem_fields, token_client

URL = "/api/v1/demand-events/"


def event(n: int, sku: str = "F-100", **extra):
    return {
        "external_id": f"SO-{n}",
        "product": sku,
        "quantity": "2",
        "occurred_at": "2026-11-20T08:00:00Z",
        **extra,
    }


def test_one_event_is_stored_and_a_repeat_changes_nothing(erp, plant):
    first = erp.post(URL, event(1), format="json")
    assert first.status_code == 201
    body = first.json()
    assert body["result"] == "created"
    assert body["product"] == "F-100" and body["quantity"] == "2.000"
    assert body["source"] == "erp" and body["status"] == "received"

    again = erp.post(URL, event(1, quantity="9"), format="json")
    assert again.status_code == 200
    assert again.json()["result"] == "duplicate"
    assert again.json()["id"] == body["id"]
    assert again.json()["quantity"] == "2.000"
    assert DemandEvent.objects.count() == 1


def test_a_list_gives_per_item_results(erp, plant):
    erp.post(URL, event(1), format="json")
    items = [event(1), event(2), event(3, sku="C-100"), event(2)]
    response = erp.post(URL, items, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["created"], body["duplicates"]) == (2, 2)
    assert [r["result"] for r in body["results"]] == [
        "duplicate",
        "created",
        "created",
        "duplicate",
    ]
    assert [r["product"] for r in body["results"]] == ["F-100", "F-100", "C-100", "F-100"]
    assert DemandEvent.objects.count() == 3


def test_a_list_with_a_bad_item_is_refused_whole(erp, plant):
    items = [event(1), event(2, sku="NOPE"), event(3, quantity="0"), event(4)]
    response = erp.post(URL, items, format="json")
    assert response.status_code == 400
    assert problem_fields(response) == {"[1].product", "[2].quantity"}
    assert "NOPE" in str(response.json()["errors"])
    assert DemandEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"product": "F-100", "quantity": "1"}, "external_id"),
        ({"external_id": "x", "product": "F-100", "quantity": "-1"}, "quantity"),
        ({"external_id": "x", "product": "F-100", "quantity": "abc"}, "quantity"),
        ({"external_id": "x", "product": "NOPE", "quantity": "1"}, "product"),
        (
            {"external_id": "x", "product": "F-100", "quantity": "1", "occurred_at": "soon"},
            "occurred_at",
        ),
        ({"external_id": "x" * 200, "product": "F-100", "quantity": "1"}, "external_id"),
    ],
)
def test_bad_single_events_name_the_field(erp, plant, body, field):
    response = erp.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in problem_fields(response)
    assert DemandEvent.objects.count() == 0


def test_lists_are_bounded(erp, plant):
    too_many = [event(n) for n in range(1001)]
    assert erp.post(URL, too_many, format="json").status_code == 400
    assert erp.post(URL, [], format="json").status_code == 400
    assert erp.post(URL, "just a string", format="json").status_code == 400
    assert DemandEvent.objects.count() == 0


def test_operator_cannot_send_demand(operator_api, plant):
    response = operator_api.post(URL, event(1), format="json")
    assert response.status_code == 403
    assert DemandEvent.objects.count() == 0


def test_bulk_intake_queries_do_not_grow_with_the_list(erp, plant, django_assert_max_num_queries):
    items = [event(n, sku="C-100" if n % 2 else "F-100") for n in range(1000)]
    with django_assert_max_num_queries(20):
        response = erp.post(URL, items, format="json")
    assert response.status_code == 201
    assert response.json()["created"] == 1000
    assert DemandEvent.objects.count() == 1000


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement insert")
def test_line_side_demand_takes_the_one_statement_insert_too(erp, plant):
    """Demand that names where it is consumed is stored like any other: one INSERT for the
    list (it used to fall back to the ORM's read, insert and read again), location kept."""
    from django.test.utils import CaptureQueriesContext

    from tests.factories import LocationFactory

    LocationFactory(code="ls-1", kind="line_side")
    items = [event(n, location="ls-1" if n % 2 else None) for n in range(200)]
    for item in items:
        if item["location"] is None:
            del item["location"]
    with CaptureQueriesContext(connection) as queries:
        response = erp.post(URL, items, format="json")
    assert response.status_code == 201 and response.json()["created"] == 200
    events_sql = [
        q["sql"] for q in queries.captured_queries if "production_demandevent" in q["sql"]
    ]
    (insert,) = [sql for sql in events_sql if sql.startswith("INSERT")]
    assert "unnest" in insert and "RETURNING" in insert  # the one statement, not the ORM's
    assert events_sql.index(insert) == 0  # no read of the stored keys first
    stored = DemandEvent.objects.filter(source="erp")
    assert stored.filter(location__code="ls-1").count() == 100
    assert stored.filter(location__isnull=True).count() == 100


def test_list_filters_and_caps_queries(erp, plant, django_assert_max_num_queries):
    erp.post(URL, [event(n, sku="C-100" if n % 2 else "F-100") for n in range(40)], format="json")
    with django_assert_max_num_queries(8):
        response = erp.get(URL, {"product": "C-100", "page_size": 10})
    assert response.status_code == 200
    page = response.json()
    assert len(page["results"]) == 10
    assert {r["product"] for r in page["results"]} == {"C-100"}
    rest = erp.get(page["next"]).json()
    assert len(rest["results"]) == 10
    assert not {r["id"] for r in rest["results"]} & {r["id"] for r in page["results"]}
    assert erp.get(URL, {"occurred_after": "2026-11-21T00:00:00Z"}).json()["results"] == []
    assert erp.get(URL, {"occurred_after": "yesterday"}).status_code == 400


def test_idempotency_key_replays_the_first_response(erp, plant):
    headers = {"HTTP_IDEMPOTENCY_KEY": "batch-42"}
    first = erp.post(URL, [event(1), event(2)], format="json", **headers)
    assert first.status_code == 201
    replay = erp.post(URL, [event(1), event(2)], format="json", **headers)
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()  # "created", as the first time, not "duplicate"
    assert DemandEvent.objects.count() == 2


def test_idempotency_key_with_another_body_is_refused(erp, plant):
    headers = {"HTTP_IDEMPOTENCY_KEY": "batch-43"}
    assert erp.post(URL, event(1), format="json", **headers).status_code == 201
    response = erp.post(URL, event(2), format="json", **headers)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert DemandEvent.objects.count() == 1


def test_a_failed_request_frees_its_key(erp, plant):
    headers = {"HTTP_IDEMPOTENCY_KEY": "batch-44"}
    assert erp.post(URL, event(1, sku="NOPE"), format="json", **headers).status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert erp.post(URL, event(1), format="json", **headers).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_never_both_run(integration_user, plant):
    """The first holds its key while it runs; the second is refused with 409, not run."""
    from production.api import demand as intake

    entered, release = threading.Event(), threading.Event()
    original = intake.record

    def slow_record(inputs, many):
        entered.set()
        release.wait(10)
        return original(inputs, many)

    intake.record = slow_record
    results: dict[str, int] = {}

    def send(name: str) -> None:
        try:
            client = token_client(integration_user)
            response = client.post(
                URL, [event(1), event(2)], format="json", HTTP_IDEMPOTENCY_KEY="same"
            )
            results[name] = response.status_code
        finally:
            connection.close()

    try:
        first = threading.Thread(target=send, args=("first",))
        first.start()
        assert entered.wait(10)
        send("second")
        release.set()
        first.join(10)
    finally:
        intake.record = original
        release.set()
    assert results == {"first": 201, "second": 409}
    assert DemandEvent.objects.count() == 2
    assert DemandEvent.objects.filter(quantity=Decimal("2")).count() == 2


def test_stored_demand_is_processed_after_commit(erp, plant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = erp.post(URL, event(1, quantity="3"), format="json")
    assert response.status_code == 201
    stored = erp.get(f"{URL}{response.json()['id']}/").json()
    assert stored["status"] == "fulfilled"
    levels = erp.get("/api/v1/stock/", {"product": "F-100"}).json()["results"]
    assert levels[0]["on_hand"] == "12.000"  # 3 cards x 5, minus 3


def test_idempotency_keys_are_kept_for_a_day(erp, plant):
    from datetime import timedelta

    from django.utils import timezone

    from production.tasks import idempotency_keys_prune_task

    erp.post(URL, event(1), format="json", HTTP_IDEMPOTENCY_KEY="old")
    erp.post(URL, event(2), format="json", HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_keys_prune_task() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
