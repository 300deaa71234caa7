"""The late-replenishment e-mail: one message per late order, to the planners of its line
or supplier (`UserSettings.lines` / `.suppliers`) and to every plant-wide planner (one with
neither set)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.utils.translation import gettext as _

from production.accounts.models import UserSettings
from production.roles import PLANNER
from production.supply.models import CallOff, TransferOrder


@dataclass(frozen=True)
class Planner:
    email: str
    lines: frozenset[int]
    suppliers: frozenset[int]

    def answers_for(self, *, line_id: int | None, supplier_id: int | None) -> bool:
        plant_wide = not self.lines and not self.suppliers
        return plant_wide or line_id in self.lines or supplier_id in self.suppliers


def planners() -> list[Planner]:
    """Every active planner with an address and their scope, in three queries."""
    users = dict(
        get_user_model()
        .objects.filter(is_active=True, groups__name=PLANNER)
        .exclude(email="")
        .values_list("pk", "email")
        .distinct()
    )
    lines: dict[int, set[int]] = {pk: set() for pk in users}
    suppliers: dict[int, set[int]] = {pk: set() for pk in users}
    for scope, field, into in (
        (UserSettings.lines.through, "productionline_id", lines),
        (UserSettings.suppliers.through, "supplier_id", suppliers),
    ):
        pairs = scope.objects.filter(usersettings__user_id__in=users).values_list(
            "usersettings__user_id", field
        )
        for user_id, target in pairs:
            into[user_id].add(target)
    return [
        Planner(email, frozenset(lines[pk]), frozenset(suppliers[pk]))
        for pk, email in users.items()
    ]


def recipients(
    everyone: Sequence[Planner], *, line_id: int | None, supplier_id: int | None = None
) -> list[str]:
    return sorted(
        {p.email for p in everyone if p.answers_for(line_id=line_id, supplier_id=supplier_id)}
    )


def late_messages(
    call_off_ids: Sequence[int], transfer_order_ids: Sequence[int]
) -> list[tuple[str, str, str, list[str]]]:
    everyone = planners()
    if not everyone:
        return []
    sender = settings.DEFAULT_FROM_EMAIL
    messages = []
    for c in CallOff.objects.select_related("supplier", "product", "location").filter(
        pk__in=call_off_ids
    ):
        subject = _("Late call-off CO-%(id)s: %(sku)s from %(supplier)s") % {
            "id": c.pk,
            "sku": c.product.sku,
            "supplier": c.supplier.code,
        }
        body = _(
            "Call-off CO-%(id)s of %(quantity)s %(unit)s %(sku)s from %(supplier)s to "
            "%(location)s was due at %(due)s and is still %(status)s."
        ) % {
            "id": c.pk,
            "quantity": c.quantity,
            "unit": c.product.unit,
            "sku": c.product.sku,
            "supplier": c.supplier.name,
            "location": c.location.code,
            "due": c.due_at.isoformat(timespec="minutes"),
            "status": c.get_status_display(),
        }
        to = recipients(everyone, line_id=c.product.line_id, supplier_id=c.supplier_id)
        if to:
            messages.append((subject, body, sender, to))
    for t in TransferOrder.objects.select_related("product", "from_location", "to_location").filter(
        pk__in=transfer_order_ids
    ):
        subject = _("Late transfer TO-%(id)s: %(sku)s to %(to)s") % {
            "id": t.pk,
            "sku": t.product.sku,
            "to": t.to_location.code,
        }
        body = _(
            "Transfer order TO-%(id)s of %(quantity)s %(unit)s %(sku)s from %(from)s to "
            "%(to)s was due at %(due)s and is still %(status)s."
        ) % {
            "id": t.pk,
            "quantity": t.quantity,
            "unit": t.product.unit,
            "sku": t.product.sku,
            "from": t.from_location.code,
            "to": t.to_location.code,
            "due": t.due_at.isoformat(timespec="minutes"),
            "status": t.get_status_display(),
        }
        to = recipients(everyone, line_id=t.product.line_id)
        if to:
            messages.append((subject, body, sender, to))
    return messages


def late_mail_send(call_off_ids: Sequence[int], transfer_order_ids: Sequence[int]) -> int:
    messages = late_messages(call_off_ids, transfer_order_ids)
    if not messages:
        return 0
    return send_mass_mail(messages, fail_silently=False)
