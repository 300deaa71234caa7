"""Each new call-off is e-mailed to its supplier's contact once (Django's locmem backend):
queued in the call-off's transaction, sent after commit, retried on the mail server's
trouble, never twice, and found again by the sweep when its send was lost."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.utils import timezone

from production.supply.models import CallOffMail
from production.supply.portal.mail import (
    call_off_mail_send,
    call_off_mails_queue,
    call_off_mails_queue_due,
)
from tests.supplier.conftest import make_supplier, open_call_off


def test_a_new_call_off_is_e_mailed_once_after_commit(
    acme, part, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_off = open_call_off(acme, part, quantity="12")
    assert mail.outbox == []  # nothing leaves before the call-off is committed
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["orders@acme.example"]
    assert message.subject == f"Call-off CO-{call_off.pk}: 12 \N{MULTIPLICATION SIGN} P-200"
    assert "P-200 · Cast housing" in message.body
    assert f"Quantity: 12 {part.unit}" in message.body
    assert "/supplier/" in message.body
    assert message.extra_headers["X-Pullboard-Call-Off"] == str(call_off.pk)
    sent = CallOffMail.objects.get(call_off=call_off)
    assert (sent.status, sent.attempts, sent.to) == ("sent", 1, "orders@acme.example")


def test_queuing_the_same_call_off_again_sends_nothing_more(
    acme, part, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_off = open_call_off(acme, part)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert call_off_mails_queue(call_offs=[call_off]) == []  # already sent
    assert call_off_mail_send(mail_id=call_off.mail.pk) is False
    assert len(mail.outbox) == 1
    assert CallOffMail.objects.count() == 1


def test_call_offs_of_one_supplier_get_one_mail_each(
    acme, bolt, part, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = open_call_off(acme, part)
        second = open_call_off(acme, part)
        other = open_call_off(bolt, part)
    numbers = sorted(m.extra_headers["X-Pullboard-Call-Off"] for m in mail.outbox)
    assert numbers == sorted(str(c.pk) for c in (first, second, other))
    assert [m.to for m in mail.outbox].count(["orders@acme.example"]) == 2


def test_a_supplier_without_an_address_is_not_mailed_and_it_is_said(
    part, django_capture_on_commit_callbacks, caplog
):
    silent = make_supplier("silent", email="")
    with django_capture_on_commit_callbacks(execute=True):
        call_off = open_call_off(silent, part)
    assert mail.outbox == []
    assert CallOffMail.objects.get(call_off=call_off).status == "no_address"
    assert "has no e-mail address" in caplog.text


def test_the_pull_engines_call_offs_get_their_mails_in_one_insert_each_its_own(
    acme, part, django_capture_on_commit_callbacks
):
    """A batch of the pull engine (`new=True`): one INSERT for the mails of call-offs of an
    addressed and an unaddressed supplier, each mail on its own call-off, and the sends
    queued for exactly the addressed ones."""
    from datetime import timedelta

    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from production.supply.models import CallOff

    silent = make_supplier("silent-batch", email="")
    due = timezone.now() + timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        call_offs = [
            CallOff.objects.create(
                supplier=supplier,
                product=part,
                quantity=n + 1,
                location=part.supermarket,
                due_at=due,
            )
            for n, supplier in enumerate([acme, silent, acme, silent, acme])
        ]
        with CaptureQueriesContext(connection) as queries:
            queued = call_off_mails_queue(call_offs=call_offs, new=True)
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith("INSERT")]
    assert len(writes) == 1
    mails = {m.call_off_id: m for m in CallOffMail.objects.all()}
    assert sorted(mails) == sorted(c.pk for c in call_offs)
    assert queued == [mails[c.pk].pk for c in call_offs if c.supplier_id == acme.pk]
    assert [mails[c.pk].status for c in call_offs] == [
        "sent",
        "no_address",
        "sent",
        "no_address",
        "sent",
    ]
    assert sorted(m.extra_headers["X-Pullboard-Call-Off"] for m in mail.outbox) == sorted(
        str(c.pk) for c in call_offs if c.supplier_id == acme.pk
    )


def test_the_mail_servers_trouble_is_counted_and_the_mail_sent_later(
    acme, part, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    real_send = EmailMessage.send
    calls = []

    def flaky(self, fail_silently=False):  # type: ignore[no-untyped-def]
        calls.append(self.subject)
        if len(calls) == 1:
            raise SMTPServerDisconnected("connection unexpectedly closed")
        return real_send(self, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        call_off = open_call_off(acme, part)  # the call-off stands: its mail waits
    row = CallOffMail.objects.get(call_off=call_off)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "SMTPServerDisconnected: connection unexpectedly closed"
    assert "failed: connection unexpectedly closed" in caplog.text
    assert mail.outbox == []
    # A worker retries it with backoff; when that too is lost, the sweep sends it.
    assert call_off_mails_queue_due(now=timezone.now() + timedelta(minutes=3)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, len(mail.outbox)) == ("sent", 2, 1)


def test_a_mail_that_failed_too_often_is_left_to_a_person(
    acme, part, django_capture_on_commit_callbacks, monkeypatch
):
    def down(self, fail_silently=False):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(EmailMessage, "send", down)
    with django_capture_on_commit_callbacks(execute=True):
        call_off = open_call_off(acme, part)
    later = timezone.now() + timedelta(minutes=3)
    assert CallOffMail.objects.get(call_off=call_off).attempts == 1
    CallOffMail.objects.filter(call_off=call_off).update(attempts=12)  # a worker's retries
    assert call_off_mails_queue_due(now=later) == 0
    assert CallOffMail.objects.get(call_off=call_off).status == "pending"  # in the admin


def test_the_sweep_sends_what_was_lost_and_only_that(
    acme, part, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the queued send is lost
        lost = open_call_off(acme, part)
    with django_capture_on_commit_callbacks(execute=True):
        open_call_off(acme, part)  # sent normally
    assert len(mail.outbox) == 1
    assert call_off_mails_queue_due() == 0  # too recent: its send may still be on its way
    assert call_off_mails_queue_due(now=timezone.now() + timedelta(minutes=3)) == 1
    assert len(mail.outbox) == 2
    assert CallOffMail.objects.get(call_off=lost).status == "sent"
    assert call_off_mails_queue_due(now=timezone.now() + timedelta(minutes=3)) == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_one_mail_at_once_send_it_once(monkeypatch):
    """Without the row lock both read `pending` and both send."""
    from tests.factories import LocationFactory, ProductFactory

    acme = make_supplier("acme")
    part = ProductFactory(sku="P-300", line=None, supermarket=LocationFactory(code="sm-r"))
    with transaction.atomic():
        from production.supply.models import CallOff

        call_off = CallOff.objects.create(
            supplier=acme,
            product=part,
            location=part.supermarket,
            quantity=10,
            due_at=timezone.now() + timedelta(days=2),
        )
        CallOffMail.objects.create(call_off=call_off, to=acme.email)
    mail_id = CallOffMail.objects.get().pk
    real_send = EmailMessage.send
    sent: list[str] = []

    def slow_send(self, fail_silently=False):  # type: ignore[no-untyped-def]
        time.sleep(0.5)  # the mail server is slow: the other worker arrives meanwhile
        sent.append(self.subject)
        return real_send(self, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", slow_send)
    start = threading.Barrier(2)
    results: list[bool] = []

    def worker() -> None:
        try:
            start.wait()
            results.append(call_off_mail_send(mail_id=mail_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [False, True]
    assert len(sent) == 1
    assert CallOffMail.objects.get().status == "sent"
