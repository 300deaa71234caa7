"""Kanban loops, cards, their events and the pull signals they raise."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from production.models import QUANTITY, Location, Product, WorkOrder
from production.supply.models import CallOff, ReplenishmentSource, Supplier, TransferOrder


class HoldReason(models.TextChoices):
    MACHINE_DOWN = "machine_down", _("Machine down")
    QUALITY_HOLD = "quality_hold", _("Quality hold")
    MISSING_PART = "missing_part", _("Missing part")
    OTHER = "other", _("Other")


class Holdable(models.Model):
    """On hold with a reason: no pull signal while it lasts (IFS hold, KanbanBOX block)."""

    # Database defaults too: the plant builder inserts rows in SQL.
    hold_reason = models.CharField(
        max_length=16, choices=HoldReason.choices, blank=True, default="", db_default=""
    )
    hold_note = models.CharField(max_length=200, blank=True, default="", db_default="")
    held_at = models.DateTimeField(null=True, blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def on_hold(self) -> bool:
        return bool(self.hold_reason)

    @property
    def hold_text(self) -> str:
        if not self.hold_reason:
            return ""
        label = HoldReason(self.hold_reason).label
        return f"{label}: {self.hold_note}" if self.hold_note else str(label)


class KanbanLoop(Holdable):
    """A control cycle: the cards that keep one product stocked in one supermarket."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="kanban_loops")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="kanban_loops")
    container_quantity = models.DecimalField(**QUANTITY)
    safety_factor = models.DecimalField(max_digits=5, decimal_places=3, default=Decimal("0.2"))
    sizing_window_days = models.PositiveIntegerField(default=28)
    recommended_card_count = models.PositiveIntegerField(null=True, blank=True)
    recommendation = models.JSONField(
        default=dict, blank=True, help_text="The inputs of the last sizing: D, L, a, C and N."
    )
    recommended_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Archived: kept with its history, sends no signals.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Where its empty containers are replenished from (existing loops: production).
    source = models.CharField(
        max_length=12,
        choices=ReplenishmentSource.choices,
        default=ReplenishmentSource.PRODUCTION,
        db_default=ReplenishmentSource.PRODUCTION,
    )
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="kanban_loops"
    )
    source_location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supplied_loops",
        help_text=_("For a transfer loop: where its containers come from."),
    )
    transfer_lead_time_days = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("For a transfer loop: from signal to the container received."),
    )
    minimum = models.DecimalField(
        **QUANTITY,
        null=True,
        blank=True,
        help_text=_("Stock below this raises stock.below_minimum; empty: one container."),
    )

    class Meta:
        ordering = ["product__sku"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=ReplenishmentSource.values), name="loop_source_valid"
            ),
            models.CheckConstraint(
                condition=~Q(source="supplier") | Q(supplier__isnull=False),
                name="loop_supplier_source_has_supplier",
            ),
            models.CheckConstraint(
                condition=~Q(source="transfer")
                | (
                    Q(source_location__isnull=False)
                    & ~Q(source_location=models.F("location"))
                    & Q(transfer_lead_time_days__isnull=False, transfer_lead_time_days__gt=0)
                ),
                name="loop_transfer_source_has_origin",
            ),
            models.CheckConstraint(
                condition=Q(minimum__isnull=True) | Q(minimum__gte=0),
                name="loop_minimum_not_negative",
            ),
            models.UniqueConstraint(
                fields=["product", "location"], name="loop_unique_per_location"
            ),
            models.CheckConstraint(
                condition=Q(container_quantity__gt=0), name="loop_container_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(safety_factor__gte=0), name="loop_safety_factor_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(sizing_window_days__gt=0), name="loop_sizing_window_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Loop {self.product.sku}@{self.location.code}"

    @property
    def effective_minimum(self) -> Decimal:
        """The stock.below_minimum threshold: the loop's own, else one container."""
        return self.minimum if self.minimum is not None else self.container_quantity


class CardStatus(models.TextChoices):
    FULL = "full", _("Full")
    IN_USE = "in_use", _("In use")
    EMPTY = "empty", _("Empty (to make)")
    IN_PROCESS = "in_process", _("In process")
    RETIRED = "retired", _("Retired")


ACTIVE_CARD_STATUSES = (CardStatus.FULL, CardStatus.IN_USE, CardStatus.EMPTY, CardStatus.IN_PROCESS)


class KanbanCard(Holdable):
    """One container of a loop. `version` grows with every change (optimistic locking).

    `loop_held` mirrors the loop's hold on each of its cards, so the pull engine reads it
    from the card rows it has locked (a loop put on hold while demand drains cannot slip
    a signal through). `one_time`: a card issued for a demand spike, made once, then
    retired by itself when its container is used up.
    """

    loop = models.ForeignKey(KanbanLoop, on_delete=models.PROTECT, related_name="cards")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=CardStatus.choices, default=CardStatus.FULL)
    remaining_quantity = models.DecimalField(
        **QUANTITY,
        default=Decimal("0"),
        help_text="What is left in the container: C when full, 0 when empty.",
    )
    version = models.PositiveIntegerField(default=1)
    work_order = models.ForeignKey(
        WorkOrder,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The work order of the current cycle, while the card is empty or in process.",
    )
    call_off = models.ForeignKey(
        CallOff,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A supplier loop's call-off of the current cycle."),
    )
    transfer_order = models.ForeignKey(
        TransferOrder,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A transfer loop's transfer order of the current cycle."),
    )
    status_changed_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    loop_held = models.BooleanField(default=False, db_default=False)
    one_time = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["loop_id", "number"]
        indexes = [models.Index(fields=["loop", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["loop", "number"], name="card_number_unique_in_loop"),
            models.CheckConstraint(condition=Q(number__gt=0), name="card_number_positive"),
            models.CheckConstraint(
                condition=Q(remaining_quantity__gte=0), name="card_remaining_never_negative"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CardStatus.values), name="card_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["full", "in_use"]) | Q(remaining_quantity=0),
                name="card_empty_holds_nothing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loop.product.sku} #{self.number} ({self.status})"

    @property
    def signals_held(self) -> bool:
        return bool(self.hold_reason) or self.loop_held


class CardEventSource(models.TextChoices):
    BOARD = "board", "Board"
    SCAN = "scan", "Scan"
    API = "api", "API"
    ENGINE = "engine", "Pull engine"
    PLANNER = "planner", "Planner"


class CardEvent(models.Model):
    """Every card status change: who, when, from, to, and why."""

    card = models.ForeignKey(KanbanCard, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, choices=CardStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=CardStatus.choices)
    reason = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=8, choices=CardEventSource.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    work_order = models.ForeignKey(
        WorkOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="card_events"
    )
    wip_override = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    quantity = models.DecimalField(
        **QUANTITY,
        null=True,
        blank=True,
        help_text="What a container marked empty booked out of stock (given back by an undo).",
    )
    undoes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="undone_by",
        help_text="The move this event reversed (an undo never deletes the move).",
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["card", "created_at"])]

    def __str__(self) -> str:
        return f"{self.card}: {self.from_status or '-'} -> {self.to_status}"


class PullSignal(models.Model):
    """A card turned empty: one container to replenish, answered by one order of the
    loop's source (a work order, a call-off or a transfer order)."""

    card = models.ForeignKey(KanbanCard, on_delete=models.CASCADE, related_name="signals")
    work_order = models.OneToOneField(
        WorkOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="pull_signal"
    )
    call_off = models.OneToOneField(
        CallOff, null=True, blank=True, on_delete=models.CASCADE, related_name="pull_signal"
    )
    transfer_order = models.OneToOneField(
        TransferOrder,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="pull_signal",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(work_order__isnull=False, call_off__isnull=True, transfer_order__isnull=True)
                    | Q(
                        work_order__isnull=True, call_off__isnull=False, transfer_order__isnull=True
                    )
                    | Q(
                        work_order__isnull=True, call_off__isnull=True, transfer_order__isnull=False
                    )
                ),
                name="signal_answered_by_one_order",
            ),
        ]

    def __str__(self) -> str:
        if self.call_off_id:
            return f"Signal {self.card} -> CO-{self.call_off_id}"
        if self.transfer_order_id:
            return f"Signal {self.card} -> TO-{self.transfer_order_id}"
        return f"Signal {self.card} -> WO-{self.work_order_id}"


class HoldAction(models.TextChoices):
    HOLD = "hold", _("Put on hold")
    RELEASE = "release", _("Released from hold")


class HoldEvent(models.Model):
    """A card or a whole loop put on hold or released: who, when and why."""

    loop = models.ForeignKey(KanbanLoop, on_delete=models.CASCADE, related_name="hold_events")
    card = models.ForeignKey(
        KanbanCard, null=True, blank=True, on_delete=models.CASCADE, related_name="hold_events"
    )
    action = models.CharField(max_length=8, choices=HoldAction.choices)
    reason = models.CharField(max_length=16, choices=HoldReason.choices, blank=True)
    note = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["loop", "created_at"])]

    def __str__(self) -> str:
        what = f"card {self.card_id}" if self.card_id else f"loop {self.loop_id}"
        return f"{what}: {self.action} {self.reason}".strip()
