"""Suppliers, and the orders that replenish bought-in and transferred stock.

Registered in the `production` app by `ProductionConfig` (tables `production_supplier`,
`production_calloff`, ...). A call-off asks a supplier for one container; a transfer order
moves one container from another location (a warehouse) to the loop's location. Each has
its own status table (`production.supply.transitions`), its events (who, when), a
`version` for If-Match and a due time (signal + lead time); `late_at` is set once, when
the order is first found past due, which is what makes its alert go out exactly once.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from production.models import POSITIVE, QUANTITY, Location, Product


class ReplenishmentSource(models.TextChoices):
    PRODUCTION = "production", _("Production (a work order on the product's line)")
    SUPPLIER = "supplier", _("Supplier (a call-off)")
    TRANSFER = "transfer", _("Transfer (from another location)")


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


class CallOffStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONFIRMED = "confirmed", _("Confirmed")
    SHIPPED = "shipped", _("Shipped")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class TransferStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PICKED = "picked", _("Picked")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class ReplenishmentOrder(models.Model):
    """What call-offs and transfer orders share: one container, due, maybe late."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, validators=POSITIVE)
    received_quantity = models.DecimalField(
        **QUANTITY, null=True, blank=True, help_text=_("What was counted in at receipt.")
    )
    receipt_reason = models.CharField(
        max_length=300, blank=True, help_text=_("Why the count differs from the quantity ordered.")
    )
    version = models.PositiveIntegerField(default=1)
    due_at = models.DateTimeField()
    late_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When it was first found open past its due time.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    received_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    OPEN_STATUSES: tuple[str, ...] = ()
    status: str  # each order kind declares its own field, with its own choices

    @property
    def late(self) -> bool:
        """Marked late by the sweep, or still open past its due time."""
        from django.utils import timezone

        if self.late_at is not None:
            return True
        return self.status in self.OPEN_STATUSES and self.due_at < timezone.now()

    @property
    def difference(self) -> Decimal | None:
        """Counted minus ordered, once received (short < 0 < over)."""
        if self.received_quantity is None:
            return None
        return self.received_quantity - self.quantity


class CallOff(ReplenishmentOrder):
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="call_offs")
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="call_offs",
        help_text=_("Where the container is received."),
    )
    status = models.CharField(
        max_length=12, choices=CallOffStatus.choices, default=CallOffStatus.OPEN
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)

    OPEN_STATUSES = ("open", "confirmed", "shipped")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The API's filters, each with its cursor order (-id).
            models.Index(fields=["supplier", "id"], name="call_off_supplier_id_idx"),
            models.Index(fields=["product", "id"], name="call_off_product_id_idx"),
            models.Index(fields=["status", "id"], name="call_off_status_id_idx"),
            # The late sweep reads open orders only.
            models.Index(
                fields=["due_at"],
                name="call_off_open_due_idx",
                condition=Q(status__in=["open", "confirmed", "shipped"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="call_off_quantity_positive"),
            models.CheckConstraint(
                condition=Q(status__in=CallOffStatus.values), name="call_off_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(received_quantity__isnull=True) | Q(received_quantity__gte=0),
                name="call_off_received_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status="received") | Q(received_quantity__isnull=False),
                name="call_off_received_has_count",
            ),
        ]

    def __str__(self) -> str:
        return f"CO-{self.pk} {self.supplier_id} x{self.quantity} ({self.status})"


class TransferOrder(ReplenishmentOrder):
    from_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="transfers_out"
    )
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="transfers_in")
    status = models.CharField(
        max_length=12, choices=TransferStatus.choices, default=TransferStatus.OPEN
    )
    picked_at = models.DateTimeField(null=True, blank=True)

    OPEN_STATUSES = ("open", "picked")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["product", "id"], name="transfer_product_id_idx"),
            models.Index(fields=["from_location", "id"], name="transfer_from_id_idx"),
            models.Index(fields=["to_location", "id"], name="transfer_to_id_idx"),
            models.Index(fields=["status", "id"], name="transfer_status_id_idx"),
            models.Index(
                fields=["due_at"],
                name="transfer_open_due_idx",
                condition=Q(status__in=["open", "picked"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transfer_quantity_positive"),
            models.CheckConstraint(
                condition=Q(status__in=TransferStatus.values), name="transfer_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(from_location=F("to_location")), name="transfer_between_two_places"
            ),
            models.CheckConstraint(
                condition=Q(received_quantity__isnull=True) | Q(received_quantity__gte=0),
                name="transfer_received_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status="received") | Q(received_quantity__isnull=False),
                name="transfer_received_has_count",
            ),
        ]

    def __str__(self) -> str:
        return f"TO-{self.pk} x{self.quantity} ({self.status})"


class OrderEvent(models.Model):
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class CallOffEvent(OrderEvent):
    """Every call-off status change (and its late mark), with who and when."""

    call_off = models.ForeignKey(CallOff, on_delete=models.CASCADE, related_name="events")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"CO-{self.call_off_id}: {self.from_status or '-'} -> {self.to_status}"


class TransferOrderEvent(OrderEvent):
    """Every transfer-order status change (and its late mark), with who and when."""

    transfer_order = models.ForeignKey(
        TransferOrder, on_delete=models.CASCADE, related_name="events"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"TO-{self.transfer_order_id}: {self.from_status or '-'} -> {self.to_status}"
