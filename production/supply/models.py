"""Suppliers, the source of bought-in parts.

Registered in the `production` app by `ProductionConfig` (table `production_supplier`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from production.models import POSITIVE


class Supplier(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    lead_time_days = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        validators=POSITIVE,
        help_text=_("From call-off to a full container received."),
    )
    email = models.EmailField(blank=True, help_text=_("Where new call-offs are sent."))
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lead_time_days__gt=0), name="supplier_lead_time_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SupplierUser(models.Model):
    """A supplier's login: its user sees that one supplier's open call-offs and nothing
    else of the plant (the `supplier` role, production/roles.py)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supplier_link"
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="users")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("supplier user")

    def __str__(self) -> str:
        return f"{self.user} @ {self.supplier.code}"
