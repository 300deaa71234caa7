"""A card count of a line or a location, and every card it saw or missed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kanban.models import KanbanCard
from production.models import Location, ProductionLine


class CountStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    CLOSED = "closed", _("Closed")


class CardCount(models.Model):
    """One count of the cards of a line or of a location. One open count per line and
    per location at a time: planners counting together scan into the same count."""

    line = models.ForeignKey(
        ProductionLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=8, choices=CountStatus.choices, default=CountStatus.OPEN)
    version = models.PositiveIntegerField(default=1)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # Filled when the count closes: what the result lists.
    expected_count = models.PositiveIntegerField(null=True, blank=True)
    found_count = models.PositiveIntegerField(null=True, blank=True)
    missing_count = models.PositiveIntegerField(null=True, blank=True)
    unexpected_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(line__isnull=True, location__isnull=False)
                | Q(line__isnull=False, location__isnull=True),
                name="card_count_line_or_location",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CountStatus.values), name="card_count_status_valid"
            ),
            models.UniqueConstraint(
                fields=["line"], condition=Q(status="open"), name="card_count_one_open_per_line"
            ),
            models.UniqueConstraint(
                fields=["location"],
                condition=Q(status="open"),
                name="card_count_one_open_per_location",
            ),
        ]
        indexes = [models.Index(fields=["status", "started_at"])]

    def __str__(self) -> str:
        return f"Card count {self.pk} of {self.scope_label}"

    @property
    def scope_label(self) -> str:
        if self.line is not None:
            return str(_("line %(code)s") % {"code": self.line.code})
        assert self.location is not None  # card_count_line_or_location
        return str(_("location %(code)s") % {"code": self.location.code})

    @property
    def is_open(self) -> bool:
        return self.status == CountStatus.OPEN


class Outcome(models.TextChoices):
    SEEN = "seen", _("Seen")  # while the count is open
    FOUND = "found", _("Found")
    MISSING = "missing", _("Missing")
    UNEXPECTED = "unexpected", _("Unexpected")


class Unexpected(models.TextChoices):
    ELSEWHERE = "elsewhere", _("Belongs elsewhere")
    RETIRED = "retired", _("Retired")


class SeenVia(models.TextChoices):
    SCAN = "scan", _("Scanned")
    TICK = "tick", _("Ticked")


class CountAction(models.TextChoices):
    REPRINTED = "reprinted", _("Reprinted")
    RETIRED = "retired", _("Retired")


class CountedCard(models.Model):
    """A card in a count: seen (scanned or ticked) while it is open; at the close each
    is found, unexpected or missing. A missing card is then reprinted or retired."""

    count = models.ForeignKey(CardCount, on_delete=models.CASCADE, related_name="cards")
    card = models.ForeignKey(KanbanCard, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    unexpected = models.CharField(max_length=12, choices=Unexpected.choices, blank=True)
    via = models.CharField(max_length=8, choices=SeenVia.choices, blank=True)
    old_label = models.BooleanField(
        default=False, help_text=_("Scanned from a label without a check digit.")
    )
    seen_at = models.DateTimeField(null=True, blank=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=12, choices=CountAction.choices, blank=True)
    acted_at = models.DateTimeField(null=True, blank=True)
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["count_id", "card_id"]
        constraints = [
            models.UniqueConstraint(fields=["count", "card"], name="counted_card_once_per_count"),
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="counted_card_outcome_valid"
            ),
            models.CheckConstraint(
                condition=Q(action="") | Q(outcome="missing"),
                name="counted_card_only_missing_acted_on",
            ),
        ]
        indexes = [models.Index(fields=["count", "outcome"])]

    def __str__(self) -> str:
        return f"count {self.count_id}: card {self.card_id} {self.outcome}"
