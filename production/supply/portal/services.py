"""Writes of the supplier's portal: tying a user to its supplier."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from production.errors import DomainError
from production.roles import SUPPLIER
from production.supply.models import Supplier, SupplierUser


@transaction.atomic
def supplier_user_tie(*, user: Any, supplier: Supplier) -> SupplierUser:
    """Make `user` a user of `supplier` (and of no other), with the `supplier` role.

    A user of the plant (staff, superuser) is refused: the role would hide every plant
    page from them, and a supplier's login must not open the admin.
    """
    if user.is_superuser or user.is_staff:
        raise DomainError(
            _("A staff or admin user cannot be a supplier's user: create a login of its own."),
            field="user",
            code="staff_user",
        )
    if supplier.archived_at is not None:
        raise DomainError(
            _("Supplier %(code)s is archived.") % {"code": supplier.code},
            field="supplier",
            code="archived",
        )
    link, _created = SupplierUser.objects.update_or_create(
        user=user, defaults={"supplier": supplier}
    )
    user.groups.add(Group.objects.get_or_create(name=SUPPLIER)[0])
    return link


@transaction.atomic
def supplier_user_untie(*, user: Any) -> None:
    """The user is no longer a supplier's user: its link and its role go together."""
    SupplierUser.objects.filter(user=user).delete()
    user.groups.remove(*Group.objects.filter(name=SUPPLIER))
