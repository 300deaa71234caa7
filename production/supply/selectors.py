"""Reads of the supply concern, shaped for the API and the pages (joins decided here)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from production.models import StockLevel
from production.services.work_orders import quantity_text
from production.supply.models import CallOff, Supplier, TransferOrder
from production.supply.transitions import OPEN_CALL_OFF, OPEN_TRANSFER


def suppliers() -> QuerySet[Supplier]:
    return Supplier.objects.all()


def call_offs() -> QuerySet[CallOff]:
    return CallOff.objects.select_related("supplier", "product", "location", "pull_signal")


def transfer_orders() -> QuerySet[TransferOrder]:
    """Transfer orders, each with what its source holds now (`source_on_hand`)."""
    source = StockLevel.objects.filter(
        product=OuterRef("product_id"), location=OuterRef("from_location_id")
    ).values("on_hand")
    zero = Value(Decimal("0"), output_field=DecimalField())
    return TransferOrder.objects.select_related(
        "product", "from_location", "to_location", "pull_signal"
    ).annotate(source_on_hand=Coalesce(Subquery(source), zero))


def waiting_text(order: Any) -> str:
    """What an open transfer waits for ('' when its source can cover it)."""
    on_hand = getattr(order, "source_on_hand", None)
    if order.status != "open" or on_hand is None or on_hand >= order.quantity:
        return ""
    return _("waits for stock at %(place)s: %(on_hand)s of %(quantity)s there") % {
        "place": order.from_location.code,
        "on_hand": quantity_text(on_hand),
        "quantity": quantity_text(order.quantity),
    }


def open_orders_of_cards(card_ids: list[int]) -> dict[int, Any]:
    """The open call-off or transfer of each card (card id -> order), two queries."""
    found: dict[int, Any] = {}
    for order in call_offs().filter(pull_signal__card_id__in=card_ids, status__in=OPEN_CALL_OFF):
        found[order.pull_signal.card_id] = order  # type: ignore[attr-defined]
    for transfer in transfer_orders().filter(
        pull_signal__card_id__in=card_ids, status__in=OPEN_TRANSFER
    ):
        found[transfer.pull_signal.card_id] = transfer  # type: ignore[attr-defined]
    return found


def open_replenishment(*, purchased: bool = False) -> tuple[list[CallOff], list[TransferOrder]]:
    """Every open call-off and transfer order, soonest due first (the planners' page);
    `purchased`: only those of purchased products (on no line, so on no line's board)."""
    only = {"product__line__isnull": True} if purchased else {}
    return (
        list(call_offs().filter(status__in=OPEN_CALL_OFF, **only).order_by("due_at", "pk")[:500]),
        list(
            transfer_orders()
            .filter(status__in=OPEN_TRANSFER, **only)
            .order_by("due_at", "pk")[:500]
        ),
    )
