"""Planner pages: forecasts (with refresh progress), push plans and the line mode switch."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from production.errors import DomainError
from production.models import LineMode, LotSizing, ProductionLine
from production.planning import selectors
from production.planning.forecasting import METHOD_LABELS
from production.planning.forecasting.calendar import bucket_dates
from production.planning.models import ForecastBucket, OverrideKind, ProductForecast, PushPlan
from production.planning.services.forecast_overrides import (
    effective_values,
    forecast_calendar_set,
    forecast_override,
    product_forecast_calendar_set,
)
from production.planning.services.forecasts import forecast_run_request
from production.planning.services.push import (
    push_plan_discard,
    push_plan_draft,
    push_plan_release,
)
from production.roles import PLANNER, role_required
from production.services import line_switch_mode

EXPLANATION_ROWS = [
    ("forecast_method", "Forecast method"),
    ("forecast_daily_mean", "Forecast per day"),
    ("lead_time_days", "Lead time (days)"),
    ("review_period_days", "Review period (days)"),
    ("protection_days", "Protection interval L (days)"),
    ("forecast_over_protection", "Forecast over L"),
    ("requirement_from", "Requirement from"),
    ("dependent_demand", "Parents' planned orders take (BOM)"),
    ("sigma_daily", "Sigma of daily forecast error"),
    ("service_level", "Service level"),
    ("z", "z"),
    ("safety_stock", "Safety stock = z x sigma x sqrt(L)"),
    ("backorders", "Open backorders"),
    ("on_hand", "On hand"),
    ("open_orders", "Open work orders"),
    ("supplier", _("Called off from (supplier)")),
    ("location", _("Received at")),
    ("open_call_offs", _("Open call-offs")),
    ("other_drafts", _("Lots of other drafts")),
    ("net_requirement", "Net requirement"),
    ("lot_sizing", "Lot sizing"),
    ("quantity", "Released quantity"),
    ("line_load_after_this_order", "Line load after this order"),
    ("line_capacity_over_period", "Line capacity over the period"),
]


def _shown(key: str, value: object) -> object:
    if key == "forecast_method" and isinstance(value, str):
        return METHOD_LABELS.get(value, value)
    if key == "lot_sizing" and isinstance(value, str):
        return LotSizing(value).label if value in LotSizing.values else value
    return value


class CalendarForm(forms.Form):
    bucket = forms.ChoiceField(
        choices=[("", _("Detected from the history")), *ForecastBucket.choices],
        required=False,
        label=_("Bucket"),
    )
    season_length = forms.IntegerField(
        required=False,
        min_value=1,
        label=_("Season length (buckets)"),
        help_text=_("1 = no season; blank = detected (7 days, 52 weeks, 12 months)."),
    )


class OverrideForm(forms.Form):
    period_start = forms.DateField(label=_("Bucket starting"))
    kind = forms.ChoiceField(choices=OverrideKind.choices, label=_("Change"))
    quantity = forms.FloatField(required=False, label=_("Quantity"))
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label=_("Reason")
    )

    def __init__(self, *args: Any, periods: list[date], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period_start"].widget = forms.Select(
            choices=[(p.isoformat(), p.isoformat()) for p in periods]
        )


def _calendar_form(request: HttpRequest, instance: Any) -> CalendarForm:
    initial = (
        {"bucket": instance.bucket, "season_length": instance.season_length} if instance else {}
    )
    return CalendarForm(request.POST or None, initial=initial)


@role_required(PLANNER)
def forecasts(request: HttpRequest) -> HttpResponse:
    plant = selectors.plant_forecast_calendar()
    form = _calendar_form(request, plant)
    if request.method == "POST" and form.is_valid():
        try:
            forecast_calendar_set(
                bucket=form.cleaned_data["bucket"],
                season_length=form.cleaned_data["season_length"],
                actor_id=request.user.pk,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, _("Plant forecast calendar saved; it applies at the next refresh.")
            )
            return redirect("planning-forecasts")
    rows = []
    page = selectors.product_forecasts_page(request.GET.get("page"))
    for f in page:
        values = effective_values(f)
        band = f.intervals.get("80", {})
        rows.append(
            {
                "forecast": f,
                "label": METHOD_LABELS.get(f.method, f.method),
                "mase": f.scores.get(f.method, {}).get("mase"),
                "bias": f.scores.get(f.method, {}).get("bias"),
                "next": values[0] if values else None,
                "next_low": (band.get("lower") or [None])[0],
                "next_high": (band.get("upper") or [None])[0],
                "overridden": bool(f.overrides),
            }
        )
    context = {
        "rows": rows,
        "page": page,
        "run": selectors.latest_forecast_run(),
        "calendar_form": form,
    }
    return render(request, "production/planning/forecasts.html", context)


@role_required(PLANNER)
def forecast_progress(request: HttpRequest) -> HttpResponse:
    return render(
        request, "production/planning/_progress.html", {"run": selectors.latest_forecast_run()}
    )


@require_POST
@role_required(PLANNER)
def forecast_refresh(request: HttpRequest) -> HttpResponse:
    run = forecast_run_request(actor_id=request.user.pk)
    messages.info(request, f"Forecast refresh {run.pk} is {run.get_status_display().lower()}.")
    return redirect("planning-forecasts")


@role_required(PLANNER)
def forecast_detail(request: HttpRequest, sku: str) -> HttpResponse:
    forecast = get_object_or_404(
        ProductForecast.objects.select_related("product"), product__sku=sku
    )
    periods = bucket_dates(forecast.start_date, forecast.bucket, len(forecast.values))
    posted = request.POST if request.method == "POST" else None
    which = request.POST.get("form") if posted else None
    calendar_form = CalendarForm(
        posted if which == "calendar" else None,
        initial=selectors.product_calendar_initial(forecast.product),
    )
    override_form = OverrideForm(posted if which == "override" else None, periods=periods)
    form = calendar_form if which == "calendar" else override_form
    if posted and form.is_valid():
        try:
            if which == "calendar":
                product_forecast_calendar_set(
                    product=forecast.product,
                    bucket=form.cleaned_data["bucket"],
                    season_length=form.cleaned_data["season_length"],
                    actor_id=request.user.pk,
                )
                messages.success(request, _("Calendar saved; it applies at the next refresh."))
            else:
                forecast_override(
                    product=forecast.product,
                    period_start=form.cleaned_data["period_start"],
                    kind=form.cleaned_data["kind"],
                    quantity=form.cleaned_data["quantity"],
                    reason=form.cleaned_data["reason"],
                    actor_id=request.user.pk,
                )
                messages.success(request, _("Forecast override saved."))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("planning-forecast", sku=forecast.product.sku)
    scores = [
        {
            "method": name,
            "label": METHOD_LABELS.get(name, name),
            "kept": name == forecast.method,
            **s,
        }
        for name, s in sorted(
            forecast.scores.items(), key=lambda kv: (kv[1].get("aicc", 0), kv[1].get("mase", 0))
        )
    ]
    label = METHOD_LABELS.get(forecast.method, forecast.method)
    return render(
        request,
        "production/planning/forecast_detail.html",
        {
            "forecast": forecast,
            "label": label,
            "scores": scores,
            "buckets": selectors.forecast_buckets(forecast)[:28],
            "chart": selectors.forecast_chart(forecast, label=label),
            "calendar_form": calendar_form,
            "override_form": override_form,
            "overrides": selectors.forecast_override_history(forecast.product)[:50],
        },
    )


@role_required(PLANNER)
def push_plans(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        line = get_object_or_404(ProductionLine, code=request.POST.get("line", ""))
        try:
            plan = push_plan_draft(line=line, actor_id=request.user.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("planning-push")
        return redirect("planning-push-plan", plan_id=plan.pk)
    lines = list(ProductionLine.objects.order_by("code"))
    coming = selectors.switches_to_come(lines)
    context = {
        "plans": selectors.push_plans()[:100],
        "lines": [{"line": line, "coming": coming.get(line.pk)} for line in lines],
    }
    return render(request, "production/planning/push_plans.html", context)


@role_required(PLANNER)
def push_plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_object_or_404(PushPlan.objects.select_related("line"), pk=plan_id)
    lines = [
        {
            "line": row,
            "due_at": (
                datetime.fromisoformat(row.explanation["due_at"])
                if row.explanation.get("due_at")
                else None
            ),
            "numbers": [
                (label, _shown(key, row.explanation[key]))
                for key, label in EXPLANATION_ROWS
                if row.explanation.get(key) is not None
            ],
        }
        for row in selectors.push_plan_lines(plan)
    ]
    coming = selectors.switches_to_come([plan.line]).get(plan.line_id)
    return render(
        request,
        "production/planning/push_plan.html",
        {"plan": plan, "lines": lines, "coming": coming},
    )


@require_POST
@role_required(PLANNER)
def push_plan_decide(request: HttpRequest, plan_id: int, decision: str) -> HttpResponse:
    """Release or discard a reviewed draft."""
    plan = get_object_or_404(PushPlan, pk=plan_id)
    try:
        if decision == "release":
            push_plan_release(plan_id=plan.pk, actor_id=request.user.pk)
            messages.success(request, _("The plan is released."))
        else:
            push_plan_discard(plan_id=plan.pk, actor_id=request.user.pk)
            messages.info(request, _("The draft is discarded; the period may be planned again."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("planning-push-plan", plan_id=plan.pk)


class SwitchModeForm(forms.Form):
    mode = forms.ChoiceField(choices=LineMode.choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    effective_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Blank: now. Until this time the line keeps its current mode.",
    )


@role_required(PLANNER)
def line_mode(request: HttpRequest, code: str) -> HttpResponse:
    line = get_object_or_404(ProductionLine, code=code)
    form = SwitchModeForm(
        request.POST or None,
        initial={"mode": LineMode.PUSH if line.mode == LineMode.PULL else LineMode.PULL},
    )
    if request.method == "POST" and form.is_valid():
        effective: datetime | None = form.cleaned_data["effective_at"]
        if effective is not None and timezone.is_naive(effective):
            effective = timezone.make_aware(effective)
        try:
            line_switch_mode(
                line=line,
                mode=form.cleaned_data["mode"],
                reason=form.cleaned_data["reason"],
                effective_at=effective,
                actor_id=request.user.pk,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            mode = form.cleaned_data["mode"]
            if effective is not None and effective > timezone.now():
                messages.success(
                    request,
                    _("Line %(line)s switches to %(mode)s mode on %(at)s.")
                    % {
                        "line": line.code,
                        "mode": mode,
                        "at": timezone.localtime(effective).strftime("%Y-%m-%d %H:%M"),
                    },
                )
            else:
                messages.success(
                    request,
                    _("Line %(line)s now runs in %(mode)s mode.")
                    % {"line": line.code, "mode": mode},
                )
            return redirect("planning-line-mode", code=line.code)
    context = {
        "line": line,
        "form": form,
        "history": selectors.line_switch_history(line),
        "coming": selectors.switches_to_come([line]).get(line.pk),
    }
    return render(request, "production/planning/line_mode.html", context)
