"""Thin Celery wrappers of the supplier's portal (task names keep the `production.tasks.`
prefix every task of the app has: beat schedules and queued messages use them)."""

from __future__ import annotations

from celery import shared_task

from production.supply.portal.mail import MAX_ATTEMPTS, TRANSIENT


@shared_task(
    name="production.tasks.call_off_mail_send_task",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,  # the mail server's trouble only: anything else is a bug
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=MAX_ATTEMPTS - 1,
    soft_time_limit=50,
    time_limit=60,
)
def call_off_mail_send_task(mail_id: int) -> bool:
    """E-mail a new call-off to its supplier, if it is still to send."""
    from production.supply.portal.mail import call_off_mail_send

    return call_off_mail_send(mail_id=mail_id)


@shared_task(
    name="production.tasks.call_off_mails_send_due_task", soft_time_limit=50, time_limit=60
)
def call_off_mails_send_due_task() -> int:
    """The sweep: call-off mails whose send was lost are queued again."""
    from production.supply.portal.mail import call_off_mails_queue_due

    return call_off_mails_queue_due()
