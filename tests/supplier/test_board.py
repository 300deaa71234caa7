"""The supplier's board (/supplier/): its own open call-offs in three columns, due times
and late marks, confirm and ship buttons that call supply's services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from production.supply.models import CallOff
from production.supply.services import call_off_confirm, call_off_ship
from tests.factories import UserFactory
from tests.supplier.conftest import signal


def columns(response) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    board = response.context["board"]
    return {c.status: [o.pk for o in c.call_offs] for c in board.columns}


def test_the_board_shows_only_its_suppliers_open_call_offs_by_column(
    acme_user, acme_loop, bolt_loop, client, django_assert_max_num_queries
):
    first, second, third = signal(acme_loop, 3)
    (theirs,) = signal(bolt_loop, 1)
    call_off_confirm(call_off_id=second.pk, actor_id=None)
    call_off_confirm(call_off_id=third.pk, actor_id=None)
    call_off_ship(call_off_id=third.pk, actor_id=None)
    client.force_login(acme_user)
    with django_assert_max_num_queries(8):
        response = client.get("/supplier/")
    assert response.status_code == 200
    assert columns(response) == {
        "open": [first.pk],
        "confirmed": [second.pk],
        "shipped": [third.pk],
    }
    page = response.content.decode()
    assert f"CO-{theirs.pk}" not in page and "P-300" not in page  # another supplier's
    assert "To confirm" in page and "To ship" in page and "Shipped" in page
    assert f"Confirm CO-{first.pk}" in page and f"Mark CO-{second.pk} shipped" in page


def test_the_board_answers_in_constant_queries_for_many_call_offs(
    acme, acme_user, part, client, django_assert_max_num_queries
):
    from tests.supplier.conftest import open_call_off

    for _ in range(150):
        open_call_off(acme, part)
    client.force_login(acme_user)
    with django_assert_max_num_queries(8):
        response = client.get("/supplier/")
    assert len(response.context["board"].columns[0].call_offs) == 150


def test_a_call_off_past_due_is_marked_late(acme_user, acme_loop, client):
    late, on_time = signal(acme_loop, 2)
    CallOff.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    client.force_login(acme_user)
    response = client.get("/supplier/")
    page = response.content.decode()
    assert f'class="call-off late" id="call-off-{late.pk}"' in page
    assert f'class="call-off" id="call-off-{on_time.pk}"' in page
    assert response.context["board"].late == 1
    assert "1 late" in page


def test_confirm_then_ship_from_the_board(acme_user, acme_loop, client):
    (call_off,) = signal(acme_loop, 1)
    client.force_login(acme_user)
    response = client.post(
        f"/supplier/call-offs/{call_off.pk}/confirm/", {"version": call_off.version}, follow=True
    )
    assert f"Call-off CO-{call_off.pk} confirmed." in response.content.decode()
    call_off.refresh_from_db()
    assert call_off.status == "confirmed"
    event = call_off.events.get(to_status="confirmed")
    assert event.actor == acme_user  # who and when, on the call-off's events
    response = client.post(
        f"/supplier/call-offs/{call_off.pk}/ship/", {"version": call_off.version}, follow=True
    )
    call_off.refresh_from_db()
    assert call_off.status == "shipped" and call_off.shipped_at is not None
    assert columns(response)["shipped"] == [call_off.pk]


def test_a_stale_page_is_told_and_changes_nothing(acme_user, acme_loop, client):
    (call_off,) = signal(acme_loop, 1)
    stale = call_off.version
    call_off_confirm(call_off_id=call_off.pk, actor_id=None)  # someone else, meanwhile
    client.force_login(acme_user)
    response = client.post(
        f"/supplier/call-offs/{call_off.pk}/ship/", {"version": stale}, follow=True
    )
    assert "changed by someone else" in response.content.decode()
    call_off.refresh_from_db()
    assert call_off.status == "confirmed"


def test_out_of_sequence_is_told_and_changes_nothing(acme_user, acme_loop, client):
    (call_off,) = signal(acme_loop, 1)
    client.force_login(acme_user)
    response = client.post(
        f"/supplier/call-offs/{call_off.pk}/ship/", {"version": call_off.version}, follow=True
    )
    assert "cannot become" in response.content.decode()
    call_off.refresh_from_db()
    assert call_off.status == "open"


def test_another_suppliers_call_off_is_not_found(acme_user, bolt_loop, client):
    (theirs,) = signal(bolt_loop, 1)
    client.force_login(acme_user)
    response = client.post(f"/supplier/call-offs/{theirs.pk}/confirm/", {"version": theirs.version})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "open"
    assert client.post("/supplier/call-offs/1/receive/", {"version": 1}).status_code == 404


@pytest.mark.parametrize("role", ["operator", "planner", "integration", "none"])
def test_the_supplier_board_is_for_suppliers_only(role, client, db):
    user = UserFactory(username=f"u-{role}", roles=[] if role == "none" else [role])
    client.force_login(user)
    assert client.get("/supplier/").status_code == 403
    assert client.post("/supplier/call-offs/1/confirm/", {"version": 1}).status_code == 403


def test_a_supplier_role_without_a_supplier_is_told(client, db):
    user = UserFactory(username="loose", roles=["supplier"])
    client.force_login(user)
    response = client.get("/supplier/")
    assert response.status_code == 403
    assert "not tied to a supplier" in response.content.decode()


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.get("/supplier/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_empty_board_says_what_will_appear(acme_user, client):
    client.force_login(acme_user)
    page = client.get("/supplier/").content.decode()
    assert "No open call-offs" in page


def test_a_signal_e_mails_the_call_off_to_its_supplier(
    acme_loop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (call_off,) = signal(acme_loop, 1)
    assert [m.extra_headers["X-Pullboard-Call-Off"] for m in mail.outbox] == [str(call_off.pk)]
    assert mail.outbox[0].to == ["orders@acme.example"]
