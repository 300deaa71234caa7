"""Push-vs-pull comparisons run by the line twin (`production.comparisons.twin`).

Registered in the `production` app (table `production_comparison`) by `ProductionConfig`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from production.models import ProductionLine


class ComparisonStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ComparisonKind(models.TextChoices):
    MANUAL = "manual", "Started by a planner"
    SHADOW = "shadow", "Nightly shadow run"


class Comparison(models.Model):
    """A push-vs-pull comparison run by the line twin (`production.comparisons.twin`).

    `spec` is the full twin spec (stations, products, demand, policies); `results`
    holds what each policy did and the verdict, once `status` is done.
    """

    name = models.CharField(max_length=200)
    line = models.ForeignKey(
        ProductionLine,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comparisons",
        help_text="The live line whose history was replayed; empty for a line described in the spec.",
    )
    kind = models.CharField(
        max_length=8, choices=ComparisonKind.choices, default=ComparisonKind.MANUAL
    )
    spec = models.JSONField()
    status = models.CharField(
        max_length=8, choices=ComparisonStatus.choices, default=ComparisonStatus.QUEUED
    )
    progress = models.FloatField(default=0.0)
    results = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["line", "kind", "status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1), name="comparison_progress_0_1"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ComparisonStatus.values), name="comparison_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Comparison {self.pk} {self.name} ({self.status})"
