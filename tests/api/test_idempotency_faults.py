"""An Idempotency-Key whose first request died (its process, or its database connection)
is free again at once, and the retry has the effect exactly once."""

from __future__ import annotations

import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from production.models import DemandEvent
from production.webhooks.models import IdempotencyKey
from tests.api.conftest import token_client
from tests.api.test_demand_events import URL, event

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.USES_POSTGRES, reason="kills a PostgreSQL backend"),
]


def test_a_key_whose_first_request_lost_its_connection_is_free_for_the_retry(
    integration_user, plant, monkeypatch
):  # type: ignore[no-untyped-def]
    from production.api import demand as intake

    entered, release = threading.Event(), threading.Event()
    backend: list[int] = []
    original = intake.record

    def dying_record(inputs, many):  # type: ignore[no-untyped-def]
        if threading.current_thread() is not threading.main_thread():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend.append(cursor.fetchone()[0])
            entered.set()
            release.wait(10)
        return original(inputs, many)

    monkeypatch.setattr(intake, "record", dying_record)
    outcome: list[object] = []

    def first_request() -> None:
        try:
            client = token_client(integration_user)
            outcome.append(
                client.post(URL, [event(1), event(2)], format="json", HTTP_IDEMPOTENCY_KEY="k1")
            )
        except Exception as exc:  # the request dies with its connection
            outcome.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=first_request)
    first.start()
    assert entered.wait(10)
    retry = token_client(integration_user)
    in_use = retry.post(URL, [event(1), event(2)], format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert in_use.status_code == 409  # still running: refused, not run twice

    # The first request's connection dies while its process is stuck (as if killed, or
    # the database restarted): none of its own clean-up runs before the retry.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend[0]])
    started = time.monotonic()
    answer = retry.post(URL, [event(1), event(2)], format="json", HTTP_IDEMPOTENCY_KEY="k1")
    while answer.status_code == 409 and time.monotonic() - started < 10:
        time.sleep(0.2)
        answer = retry.post(URL, [event(1), event(2)], format="json", HTTP_IDEMPOTENCY_KEY="k1")
    waited = time.monotonic() - started
    release.set()
    first.join(10)
    assert answer.status_code == 201, f"{answer.status_code} after {waited:.1f} s"
    assert waited < 3, f"the key stayed in use {waited:.1f} s after its request died"
    assert answer.json()["created"] == 2
    assert not getattr(outcome[0], "status_code", 500) < 300, "the first request died"

    again = retry.post(URL, [event(1), event(2)], format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert DemandEvent.objects.count() == 2, "exactly one effect"
    assert IdempotencyKey.objects.filter(key="k1").count() == 1
