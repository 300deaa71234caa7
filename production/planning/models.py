"""Forecasts and push plans: a product's forecast, each refresh's progress, each push
line's planning period and the work orders it released.

Registered in the `production` app (tables `production_*`) by `ProductionConfig`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from production.models import QUANTITY, Product, ProductionLine, WorkOrder


class ForecastRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ForecastRun(models.Model):
    """One refresh of every product's forecast, with its progress for long runs."""

    status = models.CharField(
        max_length=8, choices=ForecastRunStatus.choices, default=ForecastRunStatus.QUEUED
    )
    trigger = models.CharField(max_length=16, default="manual", help_text="manual or schedule")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    total_products = models.PositiveIntegerField(default=0)
    done_products = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"forecast run {self.pk} ({self.status})"

    @property
    def progress_percent(self) -> int:
        if self.status == ForecastRunStatus.DONE:
            return 100
        if not self.total_products:
            return 0
        return int(100 * self.done_products / self.total_products)


class ProductForecast(models.Model):
    """A product's current forecast: the method kept, every method's scores, the values."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="forecast")
    run = models.ForeignKey(
        ForecastRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="forecasts"
    )
    method = models.CharField(max_length=32)
    fallback_reason = models.TextField(blank=True)
    scores = models.JSONField(
        default=dict, blank=True, help_text="Backtest per method: mase, bias, rmse."
    )
    start_date = models.DateField(help_text="The day the first forecast value is for.")
    values = models.JSONField(default=list, help_text="Forecast demand per day from start_date.")
    sigma_daily = models.FloatField(default=0.0, help_text="Backtest RMSE of a day's forecast.")
    history_days = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product__sku"]

    def __str__(self) -> str:
        return f"{self.product.sku}: {self.method}"


class PushPlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RELEASED = "released", "Released"
    DISCARDED = "discarded", "Discarded"


class PushPlan(models.Model):
    """One planning period of a push line: what was netted, the load, and (once a planner
    released the draft, or the scheduled run did) the work orders released."""

    line = models.ForeignKey(ProductionLine, on_delete=models.CASCADE, related_name="push_plans")
    status = models.CharField(
        max_length=10, choices=PushPlanStatus.choices, default=PushPlanStatus.DRAFT
    )
    released_at = models.DateTimeField(null=True, blank=True)
    period_start = models.DateField()
    period_days = models.PositiveIntegerField(default=1)
    capacity = models.DecimalField(**QUANTITY, help_text="Line capacity over the period.")
    load = models.DecimalField(**QUANTITY, default=Decimal("0"), help_text="Released quantity.")
    over_capacity = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "line__code"]
        constraints = [
            # A discarded draft leaves the period free to plan again.
            models.UniqueConstraint(
                fields=["line", "period_start"],
                condition=~models.Q(status="discarded"),
                name="push_plan_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"push plan {self.line.code} {self.period_start}"


class PushPlanLine(models.Model):
    """One product of a push plan: the numbers, and the work order released (if any)."""

    plan = models.ForeignKey(PushPlan, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, default=Decimal("0"))
    beyond_capacity = models.BooleanField(default=False)
    work_order = models.OneToOneField(
        WorkOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="plan_line"
    )
    explanation = models.JSONField(default=dict)

    class Meta:
        ordering = ["plan_id", "product__sku"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "product"], name="push_plan_line_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.product.sku} x{self.quantity}"
