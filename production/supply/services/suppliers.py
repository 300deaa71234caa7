"""Suppliers: created, changed and archived (nothing with history is deleted)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from production.errors import DomainError
from production.supply.locks import lock_suppliers
from production.supply.models import Supplier

SUPPLIER_FIELDS = ("name", "lead_time_days", "email")


def _check(values: dict[str, Any]) -> None:
    if "lead_time_days" in values and Decimal(values["lead_time_days"]) <= 0:
        raise DomainError(_("The lead time must be greater than zero."), field="lead_time_days")
    if "name" in values and not str(values["name"]).strip():
        raise DomainError(_("A supplier needs a name."), field="name")


@transaction.atomic
def supplier_create(*, code: str, name: str, lead_time_days: Decimal, email: str = "") -> Supplier:
    values = {"name": name, "lead_time_days": lead_time_days, "email": email}
    _check(values)
    if Supplier.objects.filter(code=code).exists():
        raise DomainError(
            _("A supplier with code %(code)s exists.") % {"code": code},
            field="code",
            code="unique",
        )
    return Supplier.objects.create(code=code, **values)


@transaction.atomic
def supplier_update(*, supplier_id: int, **changes: Any) -> Supplier:
    unknown = set(changes) - set(SUPPLIER_FIELDS)
    if unknown:
        raise DomainError(_("Unknown field %(f)s.") % {"f": sorted(unknown)[0]})
    _check(changes)
    supplier = lock_suppliers([supplier_id]).get()
    for name, value in changes.items():
        setattr(supplier, name, value)
    supplier.save(update_fields=list(changes) or None)
    return supplier


@transaction.atomic
def supplier_archive(*, supplier_id: int) -> Supplier:
    """Archived: kept with its call-offs; its loops raise no new call-offs."""
    supplier = lock_suppliers([supplier_id]).get()
    if supplier.archived_at is None:
        supplier.archived_at = timezone.now()
        supplier.save(update_fields=["archived_at"])
    return supplier
