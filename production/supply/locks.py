"""Row locks of replenishment orders, in pk order (after stock levels and cards)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from production.supply.models import CallOff, Supplier, TransferOrder


def lock_call_offs(ids: Iterable[int]) -> QuerySet[CallOff]:
    return CallOff.objects.select_for_update(of=("self",)).filter(pk__in=list(ids)).order_by("pk")


def lock_transfer_orders(ids: Iterable[int]) -> QuerySet[TransferOrder]:
    return (
        TransferOrder.objects.select_for_update(of=("self",))
        .filter(pk__in=list(ids))
        .order_by("pk")
    )


def lock_suppliers(ids: Iterable[int]) -> QuerySet[Supplier]:
    return Supplier.objects.select_for_update(of=("self",)).filter(pk__in=list(ids)).order_by("pk")
