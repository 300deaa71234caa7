"""The call-off e-mail through a real Celery worker: demand drained by the worker empties a
supplier loop's card, the signal opens a call-off, and the worker sends its e-mail once
(Django's file backend, so the test reads what left), even when the send is queued twice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from django.db import connection

from kanban.services import loop_create
from production.services import demand_record
from production.supply.models import CallOff, CallOffMail
from production.supply.portal.tasks import call_off_mail_send_task
from tests.factories import LocationFactory, ProductFactory
from tests.integration.conftest import Worker, launch_worker, wait_for
from tests.supplier.conftest import make_supplier
from tests.support import subprocess_database_url

SUCCEEDED = re.compile(r"call_off_mail_send_task\[[^\]]+\] succeeded")
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mail_worker(broker, tmp_path: Path) -> Iterator[tuple[Worker, Path]]:  # type: ignore[no-untyped-def]
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    connection.close()  # the worker must not inherit anything of ours
    worker = launch_worker(
        name="mail",
        log=tmp_path / "worker.log",
        database_url=subprocess_database_url(),
        broker_url=broker.url,
        concurrency=2,
        extra_env={"EMAIL_URL": f"filemail:///{outbox}", "DEFAULT_FROM_EMAIL": "plant@pb.example"},
    )
    yield worker, outbox
    worker.stop()


SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # between messages in Django's file backend


def messages_in(outbox: Path) -> list[EmailMessage]:
    raw = [part for p in sorted(outbox.iterdir()) for part in p.read_bytes().split(SEPARATOR)]
    return [message_from_bytes(r, policy=default) for r in raw if r.strip()]  # type: ignore[misc]


def test_a_call_off_made_in_the_worker_is_e_mailed_once(mail_worker):  # type: ignore[no-untyped-def]
    worker, outbox = mail_worker
    acme = make_supplier("acme", name="Acme Castings")
    part = ProductFactory(
        sku="P-200",
        name="Cast housing",
        line=None,
        supermarket=LocationFactory(code="sm-buy"),
        container_quantity=Decimal("10"),
    )
    loop_create(product=part, card_count=3, source="supplier", supplier=acme)
    demand_record(product=part, quantity=Decimal("10"), external_id="so-1")  # queued on commit

    wait_for(lambda: CallOff.objects.exists(), timeout=60, what="the worker's call-off")
    call_off = CallOff.objects.get()
    wait_for(
        lambda: CallOffMail.objects.filter(call_off=call_off, status="sent").exists(),
        timeout=60,
        what="the call-off's e-mail to be sent by the worker",
    )
    mail = CallOffMail.objects.get()
    call_off_mail_send_task.delay(mail.pk)  # a second delivery of the same send
    call_off_mail_send_task.delay(mail.pk)
    wait_for(
        lambda: len(SUCCEEDED.findall(worker.log.read_text())) >= 3,
        timeout=60,
        what="the repeated sends to run",
    )
    sent = messages_in(outbox)
    assert len(sent) == 1, [m["Subject"] for m in sent]
    assert sent[0]["Subject"] == f"Call-off CO-{call_off.pk}: 10 \N{MULTIPLICATION SIGN} P-200"
    assert (sent[0]["To"], sent[0]["From"]) == ("orders@acme.example", "plant@pb.example")
    assert "P-200 · Cast housing" in sent[0].get_content()
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == ("sent", 1)
    assert f"call-off {call_off.pk} e-mailed to orders@acme.example" in worker.log.read_text()
