"""Comparison pages: start a push-vs-pull comparison, follow it, read it, compare runs.

Thin views: parse, call a selector or a service, render.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from production.comparisons import selectors as sel
from production.comparisons.models import Comparison
from production.comparisons.services import comparison_period_spec, comparison_start
from production.csv_export import csv_response as _csv
from production.errors import DomainError
from production.models import ProductionLine
from production.roles import PLANNER, role_required
from production.validators import ROW_ID

MAX_DAYS = 366


class ComparisonForm(forms.Form):
    line = forms.ModelChoiceField(
        queryset=ProductionLine.objects.order_by("code"), to_field_name="code"
    )
    days = forms.IntegerField(min_value=1, max_value=MAX_DAYS, initial=28, label="Days of history")
    kanban_cards = forms.IntegerField(
        min_value=1,
        required=False,
        label="Kanban cards per product",
        help_text="Empty: each product's live loop (or the sizing rule).",
    )
    conwip_cap = forms.IntegerField(min_value=1, required=False, label="Also CONWIP, with WIP cap")
    advance_demand_days = forms.IntegerField(
        min_value=0, initial=0, label="Push: days of firm orders ahead"
    )
    replications = forms.IntegerField(min_value=1, max_value=50, initial=5)
    seed = forms.IntegerField(min_value=0, initial=0)


def _policies(form: ComparisonForm, line: ProductionLine, days: int) -> list[dict[str, Any]]:
    base = comparison_period_spec(
        line=line, days=days, policies=None, stations=None, seed=0, replications=1
    )
    policies = base["policies"]
    for policy in policies:
        if policy["kind"] == "kanban" and form.cleaned_data["kanban_cards"]:
            policy["cards"] = form.cleaned_data["kanban_cards"]
        if policy["kind"] == "push":
            policy["advance_demand_days"] = form.cleaned_data["advance_demand_days"] or 0
    if form.cleaned_data["conwip_cap"]:
        policies.append({"kind": "conwip", "wip_cap": form.cleaned_data["conwip_cap"]})
    return policies


@role_required(PLANNER)
def comparisons(request: HttpRequest) -> HttpResponse:
    form = ComparisonForm(request.POST or None, initial={"line": request.GET.get("line")})
    if request.method == "POST" and form.is_valid():
        line, days = form.cleaned_data["line"], form.cleaned_data["days"]
        try:
            spec = comparison_period_spec(
                line=line,
                days=days,
                policies=_policies(form, line, days),
                stations=None,
                seed=form.cleaned_data["seed"],
                replications=form.cleaned_data["replications"],
            )
            comparison = comparison_start(
                name=f"{line.code}: last {days} days",
                spec=spec,
                actor_id=request.user.pk,
                line=line,
            )
        except DomainError as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, "Comparison started.")
            return redirect("comparisons:detail", pk=comparison.pk)
    return render(
        request,
        "production/comparisons/comparisons.html",
        {"form": form, "comparisons": sel.comparisons_list()},
    )


@role_required(PLANNER)
def comparison(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_object_or_404(Comparison.objects.select_related("line", "created_by"), pk=pk)
    if request.headers.get("HX-Request"):
        return render(
            request, "production/comparisons/_comparison_status.html", {"comparison": obj}
        )
    return render(
        request,
        "production/comparisons/comparison.html",
        {
            "comparison": obj,
            "chart": sel.comparison_chart(obj),
            "table": sel.comparison_table(obj.results),
        },
    )


@role_required(PLANNER)
def side_by_side(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.GET.getlist("ids") if ROW_ID.match(i)][:20]
    rows = sel.comparisons_side_by_side(ids=ids)
    if request.GET.get("format") == "csv":
        header = list(rows[0]) if rows else ["comparison", "name", "policy"]
        return _csv("comparisons.csv", header, [list(r.values()) for r in rows])
    return render(request, "production/comparisons/side_by_side.html", {"rows": rows, "ids": ids})


@role_required(PLANNER)
def comparison_export(request: HttpRequest, pk: int, table: str) -> HttpResponse:
    obj = get_object_or_404(Comparison, pk=pk)
    policies = (obj.results or {}).get("policies", [])
    name = f"comparison-{obj.pk}-{table}.csv"
    if table == "metrics" and policies:
        keys = list(policies[0]["metrics"])
        rows = [
            [p["label"], *(p["metrics"][k] for k in keys), *(p["ci95"][k] for k in keys)]
            for p in policies
        ]
        return _csv(name, ["policy", *keys, *(f"{k}_ci95" for k in keys)], rows)
    if table == "series" and policies:
        keys = [k for k in policies[0]["series"] if k != "day"]
        rows = [
            [p["label"], day, *(p["series"][k][i] for k in keys)]
            for p in policies
            for i, day in enumerate(p["series"]["day"])
        ]
        return _csv(name, ["policy", "day", *keys], rows)
    raise Http404("No such table, or the comparison has no results yet.")
