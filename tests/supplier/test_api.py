"""The supplier's API, `supplier/call-offs/`: a supplier's token sees only its supplier's
open call-offs and confirms and ships them (If-Match, Idempotency-Key, problem details);
another supplier's call-off is 404, every other endpoint 403."""

from __future__ import annotations

import pytest

from production.supply.models import CallOff
from production.supply.services import call_off_confirm
from tests.api.conftest import token_client
from tests.factories import UserFactory
from tests.supplier.conftest import open_call_off, signal

URL = "/api/v1/supplier/call-offs/"


def test_a_supplier_lists_its_own_open_call_offs_only(
    acme_user, acme_loop, bolt_loop, django_assert_max_num_queries
):
    mine = signal(acme_loop, 2)
    signal(bolt_loop, 1)
    api = token_client(acme_user)
    with django_assert_max_num_queries(6):
        response = api.get(URL)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert sorted(r["id"] for r in rows) == sorted(c.pk for c in mine)
    row = rows[0]
    assert set(row) == {
        "id", "product", "product_name", "unit", "quantity", "location", "status",
        "due_at", "late", "version", "created_at", "confirmed_at", "shipped_at",
    }  # fmt: skip
    assert (row["product"], row["status"], row["late"]) == ("P-200", "open", False)


def test_the_list_filters_by_status_and_pages_with_a_cursor(acme, acme_user, part):
    made = [open_call_off(acme, part) for _ in range(5)]
    call_off_confirm(call_off_id=made[0].pk, actor_id=None)
    api = token_client(acme_user)
    assert [r["id"] for r in api.get(URL, {"status": "confirmed"}).json()["results"]] == [
        made[0].pk
    ]
    page = api.get(URL, {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    bad = api.get(URL, {"status": "received"})  # not a supplier's: refused, named
    assert bad.status_code == 400
    assert "status" in bad.content.decode()


def test_received_and_cancelled_call_offs_are_not_the_suppliers(acme, acme_user, part):
    done = open_call_off(acme, part)
    CallOff.objects.filter(pk=done.pk).update(status="cancelled")
    api = token_client(acme_user)
    assert api.get(URL).json()["results"] == []
    assert api.get(f"{URL}{done.pk}/").status_code == 404


def test_confirm_and_ship_with_if_match(acme_user, acme_loop):
    (call_off,) = signal(acme_loop, 1)
    api = token_client(acme_user)
    read = api.get(f"{URL}{call_off.pk}/")
    assert read["ETag"] == f'"{call_off.version}"'
    confirmed = api.post(f"{URL}{call_off.pk}/confirm/", HTTP_IF_MATCH=read["ETag"])
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    stale = api.post(f"{URL}{call_off.pk}/ship/", HTTP_IF_MATCH=read["ETag"])
    assert stale.status_code == 412
    assert stale["Content-Type"] == "application/problem+json"
    shipped = api.post(f"{URL}{call_off.pk}/ship/", HTTP_IF_MATCH=confirmed["ETag"])
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    assert CallOff.objects.get(pk=call_off.pk).events.filter(actor=acme_user).count() == 2


def test_out_of_sequence_is_409_naming_the_field_and_changes_nothing(acme_user, acme_loop):
    (call_off,) = signal(acme_loop, 1)
    api = token_client(acme_user)
    response = api.post(f"{URL}{call_off.pk}/ship/")
    assert response.status_code == 409
    body = response.json()
    assert body["errors"][0]["field"] == "status"
    assert CallOff.objects.get(pk=call_off.pk).status == "open"


def test_a_repeated_idempotency_key_confirms_once(acme_user, acme_loop):
    (call_off,) = signal(acme_loop, 1)
    api = token_client(acme_user)
    first = api.post(f"{URL}{call_off.pk}/confirm/", HTTP_IDEMPOTENCY_KEY="confirm-1")
    again = api.post(f"{URL}{call_off.pk}/confirm/", HTTP_IDEMPOTENCY_KEY="confirm-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert CallOff.objects.get(pk=call_off.pk).events.filter(to_status="confirmed").count() == 1


def test_another_suppliers_call_off_is_404_and_unchanged(acme_user, bolt_loop):
    (theirs,) = signal(bolt_loop, 1)
    api = token_client(acme_user)
    assert api.get(f"{URL}{theirs.pk}/").status_code == 404
    response = api.post(f"{URL}{theirs.pk}/confirm/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert CallOff.objects.get(pk=theirs.pk).status == "open"


@pytest.mark.parametrize("role", ["operator", "planner", "integration", "none"])
def test_the_supplier_api_is_for_suppliers_only(role, db):
    user = UserFactory(username=f"u-{role}", roles=[] if role == "none" else [role])
    api = token_client(user)
    assert api.get(URL).status_code == 403
    assert api.post(f"{URL}1/confirm/").status_code == 403


def test_a_supplier_role_without_a_supplier_gets_403(db):
    api = token_client(UserFactory(username="loose", roles=["supplier"]))
    response = api.get(URL)
    assert response.status_code == 403
    assert "not tied to a supplier" in response.content.decode()
