"""The e-mail of each new call-off to its supplier's contact.

`call_off_mails_queue` writes the outbox row in the call-off's own transaction and queues
the send after commit; `call_off_mail_send` sends it once: the row is locked while the
message goes out, so two workers holding the same mail send it once. A worker that dies
after the server took the message but before its commit sends it again (at least once,
never lost). `call_off_mails_queue_due` is the sweep for sends that were lost (a broker
restart, a worker gone, retries used up).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from smtplib import SMTPException
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from production.bulk import bulk_insert_rows
from production.supply.models import CallOff, CallOffMail, CallOffMailStatus, Supplier

log = logging.getLogger(__name__)

TRANSIENT = (SMTPException, OSError)  # the mail server's trouble: retried later
MAX_ATTEMPTS = 12  # past it the sweep leaves the mail to a person (admin: last error)
SWEEP_AFTER = timedelta(minutes=2)  # a send queued on commit normally runs well before
SWEEP_BATCH = 1000  # mails queued again per sweep, oldest first


def lock_call_off_mails(ids: Iterable[int]) -> QuerySet[CallOffMail]:
    return (
        CallOffMail.objects.select_for_update(of=("self",)).filter(pk__in=list(ids)).order_by("pk")
    )


def call_off_mails_queue(*, call_offs: Iterable[CallOff], new: bool = False) -> list[int]:
    """One mail per new call-off (again for the same call-off: nothing), sent after commit.

    Called inside the transaction that creates the call-offs, so a call-off and its mail
    are committed together or not at all. `new`: the call-offs were made in this very
    transaction (the pull engine's signal), so none has a mail yet: one INSERT, no checks.
    """
    from production.supply.portal.tasks import call_off_mail_send_task

    call_offs = list(call_offs)
    if not call_offs:
        return []
    with transaction.atomic(savepoint=False):
        suppliers = {c.supplier_id: c.supplier for c in call_offs if CallOff.supplier.is_cached(c)}
        missing = {c.supplier_id for c in call_offs} - set(suppliers)
        if missing:
            suppliers.update(Supplier.objects.in_bulk(missing))
        rows = [
            CallOffMail(
                call_off_id=c.pk,
                to=suppliers[c.supplier_id].email,
                status=(
                    CallOffMailStatus.PENDING
                    if suppliers[c.supplier_id].email
                    else CallOffMailStatus.NO_ADDRESS
                ),
            )
            for c in call_offs
        ]
        if new:
            bulk_insert_rows(rows, keys=True)  # a batch of the pull engine: one round trip
            ids = [m.pk for m in rows if m.status == CallOffMailStatus.PENDING]
        else:
            CallOffMail.objects.bulk_create(rows, ignore_conflicts=True)
            ids = list(
                CallOffMail.objects.filter(
                    call_off_id__in=[c.pk for c in call_offs], status=CallOffMailStatus.PENDING
                ).values_list("pk", flat=True)
            )
        unaddressed: dict[str, list[int]] = {}
        for c in call_offs:
            if not suppliers[c.supplier_id].email:
                unaddressed.setdefault(suppliers[c.supplier_id].code, []).append(c.pk)
        for code, numbers in unaddressed.items():  # one line a supplier, not one a call-off
            log.warning(
                "call-offs %s not e-mailed: supplier %s has no e-mail address",
                ", ".join(f"CO-{n}" for n in numbers),
                code,
            )
        for mail_id in ids:
            # robust: a mail server that is down never fails the request that made the
            # call-off (the task retries, the sweep catches what is left).
            transaction.on_commit(_sender(call_off_mail_send_task, mail_id), robust=True)
    return ids


def _sender(task: Any, mail_id: int) -> Callable[[], None]:
    def send_call_off_mail() -> None:
        task.delay(mail_id)

    return send_call_off_mail


def _message(mail: CallOffMail) -> EmailMessage:
    call_off = mail.call_off
    board = reverse("supplier-board")
    site = settings.PULLBOARD.get("SITE_URL", "").rstrip("/")
    context = {
        "call_off": call_off,
        "supplier": call_off.supplier,
        "product": call_off.product,
        "location": call_off.location,
        "due_at": timezone.localtime(call_off.due_at),
        "board_url": f"{site}{board}" if site else board,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("production/supply/portal/call_off_subject.txt", context)
        body = render_to_string("production/supply/portal/call_off_body.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to],
        headers={"X-Pullboard-Call-Off": str(call_off.pk)},
    )


def call_off_mail_send(*, mail_id: int) -> bool:
    """Send the mail if it is still to send; True if it went out now.

    The mail server's trouble (`TRANSIENT`) is counted on the row and raised for the task
    to retry; nothing is marked sent unless the server took the message.
    """
    failure: Exception | None = None
    with transaction.atomic():
        mail = (
            lock_call_off_mails([mail_id])
            .select_related("call_off__supplier", "call_off__product", "call_off__location")
            .first()
        )
        if mail is None or mail.status != CallOffMailStatus.PENDING:
            return False
        try:
            _message(mail).send()
        except TRANSIENT as error:
            failure = error
        else:
            mail.status, mail.sent_at = CallOffMailStatus.SENT, timezone.now()
            mail.attempts += 1
            mail.save(update_fields=["status", "sent_at", "attempts"])
            log.info("call-off %s e-mailed to %s", mail.call_off_id, mail.to)
            return True
    CallOffMail.objects.filter(pk=mail_id, status=CallOffMailStatus.PENDING).update(
        attempts=F("attempts") + 1, last_error=f"{type(failure).__name__}: {failure}"[:300]
    )
    log.warning("call-off mail %s to %s failed: %s", mail_id, mail.to, failure)
    raise failure


def call_off_mails_queue_due(*, now: datetime | None = None) -> int:
    """The sweep: mails still to send a while after their call-off was made (their send
    was lost: a broker restart, a worker gone, retries used up). One query; returns how
    many it queued again."""
    from production.supply.portal.tasks import call_off_mail_send_task

    now = now or timezone.now()
    due = list(
        CallOffMail.objects.filter(
            status=CallOffMailStatus.PENDING,
            created_at__lt=now - SWEEP_AFTER,
            attempts__lt=MAX_ATTEMPTS,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for mail_id in due:
        call_off_mail_send_task.delay(mail_id)
    if due:
        log.info("call-off mail sweep: %d mails queued again", len(due))
    return len(due)
