"""The late-replenishment e-mail: one message per late order, to the planners."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.utils.translation import gettext as _

from production.roles import PLANNER
from production.supply.models import CallOff, TransferOrder


def planner_addresses() -> list[str]:
    """The planners who get replenishment alerts (the planner role is plant-wide)."""
    users = get_user_model().objects.filter(is_active=True, groups__name=PLANNER)
    return sorted({u.email for u in users.exclude(email="").only("email")})


def late_messages(
    call_off_ids: Sequence[int], transfer_order_ids: Sequence[int]
) -> list[tuple[str, str, str, list[str]]]:
    to = planner_addresses()
    if not to:
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
        messages.append((subject, body, sender, to))
    return messages


def late_mail_send(call_off_ids: Sequence[int], transfer_order_ids: Sequence[int]) -> int:
    messages = late_messages(call_off_ids, transfer_order_ids)
    if not messages:
        return 0
    return send_mass_mail(messages, fail_silently=False)
