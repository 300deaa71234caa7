"""Late replenishment: open orders past their due time are marked late once, and only once.

Set-based: one locking read per order kind finds the open orders past due and not yet
marked, whatever the plant's size. A second run (or a concurrent one, which waits on the
first's row locks and then re-reads `late_at`) finds nothing: each order raises exactly
one alert, a `replenishment.late` webhook and one e-mail, queued once the mark commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone

from production import live
from production.bulk import bulk_insert_rows
from production.models import Product
from production.supply import events
from production.supply.models import CallOff, CallOffEvent, TransferOrder, TransferOrderEvent
from production.supply.transitions import OPEN_CALL_OFF, OPEN_TRANSFER

LATE = "late"  # the event's to_status for the mark (the order's status does not change)


@dataclass(frozen=True)
class LateMarked:
    call_off_ids: list[int]
    transfer_order_ids: list[int]


@transaction.atomic
def replenishment_mark_late(*, now: datetime | None = None) -> LateMarked:
    now = now or timezone.now()
    call_offs = list(
        CallOff.objects.select_for_update(of=("self",))
        .filter(status__in=OPEN_CALL_OFF, due_at__lt=now, late_at__isnull=True)
        .order_by("pk")
    )
    transfers = list(
        TransferOrder.objects.select_for_update(of=("self",))
        .filter(status__in=OPEN_TRANSFER, due_at__lt=now, late_at__isnull=True)
        .order_by("pk")
    )
    CallOff.objects.filter(pk__in=[c.pk for c in call_offs]).update(late_at=now)
    TransferOrder.objects.filter(pk__in=[t.pk for t in transfers]).update(late_at=now)
    for order in (*call_offs, *transfers):
        order.late_at = now
    bulk_insert_rows(
        [
            CallOffEvent(call_off=c, from_status=c.status, to_status=LATE, reason="past due")
            for c in call_offs
        ]
    )
    bulk_insert_rows(
        [
            TransferOrderEvent(
                transfer_order=t, from_status=t.status, to_status=LATE, reason="past due"
            )
            for t in transfers
        ]
    )
    events.emit_replenishment_late([*call_offs, *transfers])
    # The boards that show these orders' cards draw their late mark.
    lines = Product.objects.filter(
        pk__in={o.product_id for o in (*call_offs, *transfers)}, line__isnull=False
    ).values_list("line_id", flat=True)
    if call_offs or transfers:
        live.notify_lines_changed(set(lines))
    marked = LateMarked([c.pk for c in call_offs], [t.pk for t in transfers])
    if call_offs or transfers:
        transaction.on_commit(partial(_queue_mail, marked), robust=True)
    return marked


def _queue_mail(marked: LateMarked) -> None:
    from production.supply.tasks import replenishment_late_mail_task

    replenishment_late_mail_task.delay(marked.call_off_ids, marked.transfer_order_ids)
