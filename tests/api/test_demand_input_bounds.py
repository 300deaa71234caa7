"""What demand intake accepts: bounded quantities, times with a zone inside a window, and
one meaning per external id in a list. Both intake paths (the quick check and the
serializer) are covered: a plain item takes the first, an unusual one the second."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from production.models import DemandEvent
from tests.api.conftest import problem_fields

URL = "/api/v1/demand-events/"


def event(external_id: str = "SO-1", **values) -> dict:
    return {"external_id": external_id, "product": "F-100", "quantity": "1", **values}


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    "occurred_at",
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-05:00",
        "2026-01-01T10:00:00",  # no time zone
        "2026-01-01",  # a bare date
        "20260101",
    ],
)
@pytest.mark.parametrize("as_list", [False, True])
def test_occurred_at_out_of_the_window_or_without_a_zone_is_refused(
    erp, plant, occurred_at, as_list
):
    body = event(occurred_at=occurred_at)
    response = erp.post(URL, [body] if as_list else body, format="json")
    assert response.status_code == 400, response.content
    assert problem_fields(response) == {"[0].occurred_at" if as_list else "occurred_at"}
    assert not DemandEvent.objects.exists()


def test_a_time_with_its_zone_inside_the_window_is_taken(erp, plant):
    now = timezone.now()
    times = [
        iso(now - timedelta(days=3000)),
        iso(now + timedelta(hours=23)),
        "2026-11-30T08:00+01:00",
    ]
    items = [event(f"SO-{n}", occurred_at=t) for n, t in enumerate(times)]
    response = erp.post(URL, items, format="json")
    assert response.status_code == 201, response.content
    assert DemandEvent.objects.count() == 3


def test_the_window_follows_the_settings(erp, plant, settings):
    settings.PULLBOARD = {**settings.PULLBOARD, "DEMAND_OLDEST_DAYS": 7}
    old = iso(timezone.now() - timedelta(days=8))
    response = erp.post(URL, event(occurred_at=old), format="json")
    assert response.status_code == 400 and problem_fields(response) == {"occurred_at"}


@pytest.mark.parametrize("quantity", ["1000000.001", 1_000_001, "70000000000", 70_000_000_000])
def test_a_quantity_past_the_bound_is_refused(erp, plant, quantity):
    response = erp.post(URL, [event(quantity=quantity)], format="json")
    assert response.status_code == 400, response.content
    assert problem_fields(response) == {"[0].quantity"}
    single = erp.post(URL, event(quantity=quantity), format="json")
    assert single.status_code == 400 and problem_fields(single) == {"quantity"}
    assert not DemandEvent.objects.exists()


def test_the_quantity_bound_is_a_setting(erp, plant, settings):
    assert erp.post(URL, event(quantity=1_000_000), format="json").status_code == 201
    settings.PULLBOARD = {**settings.PULLBOARD, "DEMAND_MAX_QUANTITY": 10}
    response = erp.post(URL, event("SO-2", quantity=11), format="json")
    assert response.status_code == 400 and problem_fields(response) == {"quantity"}


def test_one_external_id_with_two_meanings_in_one_list_is_refused_naming_both(erp, plant):
    items = [event("A"), event("SO-1"), event("B"), event("SO-1", quantity="2")]
    response = erp.post(URL, items, format="json")
    assert response.status_code == 400
    assert problem_fields(response) == {"[1].external_id", "[3].external_id"}
    assert "[1]" in response.json()["errors"][0]["message"]
    assert "[3]" in response.json()["errors"][0]["message"]
    assert not DemandEvent.objects.exists()


def test_an_exact_repeat_in_one_list_is_harmless(erp, plant):
    response = erp.post(URL, [event("SO-1"), event("SO-1")], format="json")
    assert response.status_code == 201
    assert response.json()["created"] == 1 and response.json()["duplicates"] == 1


def test_the_same_external_id_from_two_sources_is_two_events(erp, plant):
    items = [event("SO-1"), event("SO-1", source="webshop", quantity="2")]
    assert erp.post(URL, items, format="json").json()["created"] == 2
