"""Kanban loops, cards, their events and the pull signals they raise."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from production.models import QUANTITY, Location, Product, WorkOrder


class KanbanLoop(models.Model):
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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product__sku"]
        constraints = [
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


class CardStatus(models.TextChoices):
    FULL = "full", _("Full")
    IN_USE = "in_use", _("In use")
    EMPTY = "empty", _("Empty (to make)")
    IN_PROCESS = "in_process", _("In process")
    RETIRED = "retired", _("Retired")


ACTIVE_CARD_STATUSES = (CardStatus.FULL, CardStatus.IN_USE, CardStatus.EMPTY, CardStatus.IN_PROCESS)


class KanbanCard(models.Model):
    """One container of a loop. `version` grows with every change (optimistic locking)."""

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
    status_changed_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

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

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["card", "created_at"])]

    def __str__(self) -> str:
        return f"{self.card}: {self.from_status or '-'} -> {self.to_status}"


class PullSignal(models.Model):
    """A card turned empty: one container to make, answered by one work order."""

    card = models.ForeignKey(KanbanCard, on_delete=models.CASCADE, related_name="signals")
    work_order = models.OneToOneField(
        WorkOrder, on_delete=models.CASCADE, related_name="pull_signal"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Signal {self.card} -> WO-{self.work_order_id}"
