"""Reads of the supplier's portal: a supplier's user's own supplier and its open call-offs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from production.supply.models import CallOff, CallOffStatus, Supplier, SupplierUser

# What a supplier sees and works on: received and cancelled call-offs are the plant's.
OPEN_FOR_SUPPLIER = (CallOffStatus.OPEN, CallOffStatus.CONFIRMED, CallOffStatus.SHIPPED)
# The supplier API's `status` filter (its own enum in the schema: a subset of the call-off's).
SUPPLIER_STATUS_CHOICES = [(s.value, s.label) for s in OPEN_FOR_SUPPLIER]
COLUMN_TITLES = {
    CallOffStatus.OPEN: _("To confirm"),
    CallOffStatus.CONFIRMED: _("To ship"),
    CallOffStatus.SHIPPED: _("Shipped"),
}
# What the supplier may do next in each column, and the service that does it.
NEXT_ACTION = {CallOffStatus.OPEN: "confirm", CallOffStatus.CONFIRMED: "ship"}
BOARD_LIMIT = 300  # call-offs per column shown, the most urgent first


def supplier_of(user: Any) -> Supplier | None:
    """The one supplier a user is tied to (None: not a supplier's user)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_pullboard_supplier"):  # once per request's user
        link = SupplierUser.objects.select_related("supplier").filter(user=user).first()
        user._pullboard_supplier = link.supplier if link else None
    supplier: Supplier | None = user._pullboard_supplier
    return supplier


def supplier_call_offs(*, supplier_id: int) -> QuerySet[CallOff]:
    """The supplier's open call-offs (to confirm, to ship, shipped); nothing else."""
    return CallOff.objects.filter(
        supplier_id=supplier_id, status__in=OPEN_FOR_SUPPLIER
    ).select_related("product", "location")


@dataclass
class Column:
    status: str
    title: str
    action: str | None = None
    call_offs: list[CallOff] = field(default_factory=list)
    more: int = 0


@dataclass
class SupplierBoard:
    supplier: Supplier
    columns: list[Column]
    now: datetime

    @property
    def total(self) -> int:
        return sum(len(c.call_offs) + c.more for c in self.columns)

    @property
    def late(self) -> int:
        return sum(1 for c in self.columns for o in c.call_offs if o.late)


def supplier_board(*, supplier: Supplier, now: datetime | None = None) -> SupplierBoard:
    """Three columns, each most urgent first: to confirm, to ship, shipped. One query."""
    now = now or timezone.now()
    columns: dict[str, Column] = {
        s: Column(status=s, title=str(COLUMN_TITLES[s]), action=NEXT_ACTION.get(s))
        for s in OPEN_FOR_SUPPLIER
    }
    for call_off in supplier_call_offs(supplier_id=supplier.pk).order_by("due_at", "id"):
        column = columns[call_off.status]
        if len(column.call_offs) >= BOARD_LIMIT:
            column.more += 1
            continue
        column.call_offs.append(call_off)
    return SupplierBoard(supplier=supplier, columns=list(columns.values()), now=now)
