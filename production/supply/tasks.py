"""Thin Celery wrappers around the supply services."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.db import OperationalError

from production.supply.mail import late_mail_send
from production.supply.services import replenishment_mark_late

log = logging.getLogger(__name__)


@shared_task(soft_time_limit=120, time_limit=180, autoretry_for=(OperationalError,))
def replenishment_late_task() -> dict[str, int]:
    """Beat: mark open orders past due as late (each raises its alert once)."""
    marked = replenishment_mark_late()
    found = {
        "call_offs": len(marked.call_off_ids),
        "transfer_orders": len(marked.transfer_order_ids),
    }
    if any(found.values()):
        log.info("late replenishment marked", extra=found)
    return found


@shared_task(
    soft_time_limit=60,
    time_limit=90,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    max_retries=5,
)
def replenishment_late_mail_task(call_off_ids: list[int], transfer_order_ids: list[int]) -> int:
    """E-mail the planners about orders that have just been marked late."""
    sent = late_mail_send(call_off_ids, transfer_order_ids)
    log.info("late replenishment mailed", extra={"messages": sent})
    return sent
