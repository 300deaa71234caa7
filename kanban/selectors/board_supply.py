"""What a board card shows of its call-off or transfer order (a supplier's or a transfer
loop's card): the order, its status, when it is due, and its late mark.

The board reads these columns with its one card query (`SUPPLY_FIELDS`, appended to the
card's own); the late mark is the one the late sweep sets (`late_at`), so a card's markup
changes only with its data and the board's fingerprint covers it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kanban.models import ACTIVE_CARD_STATUSES, CardStatus, KanbanCard
from production.supply.models import CallOffStatus, TransferStatus
from production.supply.transitions import OPEN_CALL_OFF, OPEN_TRANSFER

SUPPLY_FIELDS = (
    "call_off_id",
    "call_off__status",
    "call_off__version",
    "call_off__due_at",
    "call_off__late_at",
    "transfer_order_id",
    "transfer_order__status",
    "transfer_order__version",
    "transfer_order__due_at",
    "transfer_order__late_at",
)


def _due(due_at: datetime) -> str:
    return formats.date_format(timezone.localtime(due_at), "SHORT_DATETIME_FORMAT")


def supply_order(values: list[Any] | tuple[Any, ...]) -> tuple[str, bool]:
    """(the order's line of text, late) from a card row's `SUPPLY_FIELDS`; ("", False)
    for a card with neither order."""
    co_id, co_status, _v, co_due, co_late, to_id, to_status, _tv, to_due, to_late = values
    if co_id:
        label, due, late = CallOffStatus(co_status).label, co_due, co_late is not None
        text = _("Call-off CO-%(id)s · %(status)s · due %(due)s")
        number = co_id
    elif to_id:
        label, due, late = TransferStatus(to_status).label, to_due, to_late is not None
        text = _("Transfer TO-%(id)s · %(status)s · due %(due)s")
        number = to_id
    else:
        return "", False
    return text % {"id": number, "status": label, "due": _due(due)}, late


def supply_fingerprint(rows: list[tuple[Any, ...]], first: int) -> tuple[int, int]:
    """The orders' versions and late marks of a loop's card rows (`first`: the index of
    `SUPPLY_FIELDS` in a row), for the board's fingerprint."""
    versions = sum((row[first + 2] or 0) + (row[first + 7] or 0) for row in rows)
    late = sum((row[first + 4] is not None) + (row[first + 9] is not None) for row in rows)
    return versions, late


def purchased_parts() -> dict[str, int]:
    """What the boards index says of the purchased products, whose cards are on no line's
    board: their loops' active cards, how many are on order and how many of those orders
    are late, in one query (a card holds at most one open order)."""
    late = Q(call_off__status__in=OPEN_CALL_OFF, call_off__late_at__isnull=False) | Q(
        transfer_order__status__in=OPEN_TRANSFER, transfer_order__late_at__isnull=False
    )
    return KanbanCard.objects.filter(
        loop__product__line__isnull=True, status__in=ACTIVE_CARD_STATUSES
    ).aggregate(
        cards=Count("pk"),
        on_order=Count("pk", filter=Q(status__in=(CardStatus.EMPTY, CardStatus.IN_PROCESS))),
        late=Count("pk", filter=late),
    )
