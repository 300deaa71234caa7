"""Planners' dashboards: every line at a glance, a line's live KPIs and charts, CSV exports.

Thin views: parse, call a selector or a service, render. Charts read their data from
a `json_script` block and are drawn by static/js/dashboard.js (no inline script).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from production.comparisons.selectors import comparisons_list
from production.csv_export import csv_response as _csv
from production.dashboards import selectors as sel
from production.models import ProductionLine
from production.roles import PLANNER, role_required

MAX_DAYS = 366


class BadDays(Exception):
    """`?days=` that is not a whole number of days from 1 to MAX_DAYS."""


def _days(request: HttpRequest, default: int = 28) -> int:
    raw = request.GET.get("days", "").strip() or str(default)
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_DAYS):
        raise BadDays
    return int(raw)


def _bad_days(request: HttpRequest) -> HttpResponse:
    message = _("Days: give a whole number of days, from 1 to %(max)d.") % {"max": MAX_DAYS}
    return render(request, "400.html", {"message": message}, status=400)


@role_required(PLANNER)
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "production/dashboards/index.html",
        {"lines": sel.lines_overview(), "comparisons": comparisons_list(limit=10)},
    )


@role_required(PLANNER)
def line_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    line = get_object_or_404(ProductionLine, code=code)
    try:
        days = _days(request)
    except BadDays:
        return _bad_days(request)
    data = sel.line_dashboard(line=line, days=days)
    return render(request, "production/dashboards/line.html", data)


@role_required(PLANNER)
def line_export(request: HttpRequest, code: str, table: str) -> HttpResponse:
    line = get_object_or_404(ProductionLine, code=code)
    try:
        days = _days(request)
    except BadDays:
        return _bad_days(request)
    data = sel.line_dashboard(line=line, days=days)
    charts = data["charts"]
    name = f"{line.code}-{table}.csv"
    if table == "kpis":
        return _csv(name, ["kpi", "value"], [[k, v] for k, v in data["kpis"].items()])
    if table == "flow":
        cfd, levels = charts["cfd"], charts["levels"]
        keys = ["demanded", "signalled", "released", "completed"]
        rows = [
            [
                day,
                *(cfd[k][i] for k in keys),
                levels["wip"][i],
                levels["inventory"][i],
                levels["backordered"][i],
            ]
            for i, day in enumerate(cfd["days"])
        ]
        return _csv(
            name, ["day", *(f"cum_{k}" for k in keys), "wip", "inventory", "backordered"], rows
        )
    if table == "lead-times":
        hist = charts["lead_time_hist"]
        rows = [[hist["edges"][i], hist["edges"][i + 1], c] for i, c in enumerate(hist["counts"])]
        return _csv(name, ["from_days", "to_days", "work_orders"], rows)
    if table == "little":
        lit = charts["little"]
        rows = [
            [
                lit["wip"][i],
                lit["best_th"][i],
                lit["pwc_th"][i],
                lit["best_ct"][i],
                lit["pwc_ct"][i],
            ]
            for i in range(len(lit["wip"]))
        ]
        return _csv(name, ["wip", "best_case_th", "pwc_th", "best_case_ct", "pwc_ct"], rows)
    if table == "cards":
        return _csv(
            name, ["status", "count", "oldest_days"], [list(r.values()) for r in data["cards"]]
        )
    if table == "ageing":
        return _csv(
            name,
            ["status", "count", "quantity", "oldest_days"],
            [list(r.values()) for r in data["card_ageing"]],
        )
    raise Http404("No such table.")
