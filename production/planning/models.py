"""Forecasts and push plans: a product's forecast, each refresh's progress, each push
line's planning period and the work orders it released.

Registered in the `production` app (tables `production_*`) by `ProductionConfig`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from production.models import QUANTITY, Product, ProductionLine, WorkOrder
from production.supply.models import CallOff


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


class ForecastBucket(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week (Monday to Sunday)")
    MONTH = "month", _("Month")


# The longest season each bucket allows (a year of that bucket, and two for months).
MAX_SEASON = {"day": 371, "week": 53, "month": 24}


class ForecastCalendar(models.Model):
    """The plant's forecast calendar (one row): blank fields are detected from each history."""

    bucket = models.CharField(max_length=5, choices=ForecastBucket.choices, blank=True)
    season_length = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Buckets per season; 1 = no season; blank = detected."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"plant forecast calendar ({self.bucket or 'detected'}, {self.season_length})"


class ProductForecastCalendar(models.Model):
    """A product's own forecast calendar, over the plant's: blank fields fall back to it."""

    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, related_name="forecast_calendar"
    )
    bucket = models.CharField(max_length=5, choices=ForecastBucket.choices, blank=True)
    season_length = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.product_id}: {self.bucket or 'plant'}, {self.season_length}"


class ProductForecast(models.Model):
    """A product's current forecast: the method kept, every method's scores, the values
    per bucket with their prediction intervals, and the planner's overrides."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="forecast")
    run = models.ForeignKey(
        ForecastRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="forecasts"
    )
    method = models.CharField(max_length=32)
    fallback_reason = models.TextField(blank=True)
    scores = models.JSONField(
        default=dict, blank=True, help_text="Backtest per method: mase, bias, rmse."
    )
    start_date = models.DateField(help_text="The first day of the first forecast bucket.")
    values = models.JSONField(
        default=list, help_text="The model's forecast demand per bucket from start_date."
    )
    sigma_daily = models.FloatField(default=0.0, help_text="A day's share of the bucket error.")
    history_days = models.PositiveIntegerField(default=0)
    bucket = models.CharField(max_length=5, choices=ForecastBucket.choices, default="day")
    season_length = models.PositiveSmallIntegerField(default=7)
    calendar_source = models.JSONField(
        default=dict, blank=True, help_text="Where bucket and season came from, and why."
    )
    intervals = models.JSONField(
        default=dict, blank=True, help_text='{"80"|"95": {"lower": [...], "upper": [...]}}'
    )
    history_buckets = models.PositiveIntegerField(default=0)
    overrides = models.JSONField(
        default=dict,
        blank=True,
        help_text="The planner's quantity per bucket start (ISO date); history in ForecastOverride.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product__sku"]

    def __str__(self) -> str:
        return f"{self.product.sku}: {self.method}"


class PushPlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RELEASED = "released", "Released"
    DISCARDED = "discarded", "Discarded"


class OverrideKind(models.TextChoices):
    SET = "set", _("Set the quantity")
    ADJUST = "adjust", _("Adjust by a quantity")
    CLEAR = "clear", _("Back to the model's forecast")


class ForecastOverride(models.Model):
    """One planner's change to a product's forecast for one bucket: who, when, why,
    before and after. Append-only; the latest per bucket is the one in force."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    bucket = models.CharField(max_length=5, choices=ForecastBucket.choices)
    period_start = models.DateField()
    kind = models.CharField(max_length=6, choices=OverrideKind.choices)
    quantity = models.FloatField(help_text="The quantity set, or the adjustment (signed).")
    before = models.FloatField(help_text="The forecast in force for the bucket before.")
    after = models.FloatField(help_text="The forecast in force for the bucket after.")
    model_value = models.FloatField(help_text="The model's own forecast for the bucket then.")
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["product", "-id"], name="forecast_override_product")]

    def __str__(self) -> str:
        return f"{self.product_id} {self.period_start}: {self.before} -> {self.after}"


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
    """One product of a push plan: the numbers, and the work order released (if any), or
    for a bought-in component the call-off to its supplier."""

    plan = models.ForeignKey(PushPlan, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, default=Decimal("0"))
    beyond_capacity = models.BooleanField(default=False)
    work_order = models.OneToOneField(
        WorkOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="plan_line"
    )
    call_off = models.OneToOneField(
        CallOff, null=True, blank=True, on_delete=models.SET_NULL, related_name="plan_line"
    )
    explanation = models.JSONField(default=dict)

    class Meta:
        ordering = ["plan_id", "product__sku"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "product"], name="push_plan_line_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.product.sku} x{self.quantity}"
