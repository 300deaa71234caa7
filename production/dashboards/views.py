"""Planners' dashboards: every line at a glance, a line's live KPIs and charts, CSV exports.

Thin views: parse, call a selector or a service, render. Charts read their data from
a `json_script` block and are drawn by static/js/dashboard.js (no inline script).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from production.comparisons.selectors import comparisons_list
from production.csv_export import csv_response as _csv
from production.dashboards import selectors as sel
from production.dashboards.orders import order_flow
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
        {
            "lines": sel.lines_overview(),
            "late_purchased": sel.late_purchased(),
            "comparisons": comparisons_list(limit=10),
        },
    )


@role_required(PLANNER)
def line_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    line = get_object_or_404(ProductionLine, code=code)
    try:
        days = _days(request)
    except BadDays:
        return _bad_days(request)
    return render(
        request, "production/dashboards/line.html", sel.line_dashboard(line=line, days=days)
    )


@role_required(PLANNER)
def line_export(request: HttpRequest, code: str, table: str) -> HttpResponse:
    """One table as CSV, computing only what that table needs."""
    line = get_object_or_404(ProductionLine, code=code)
    export = EXPORTS.get(table)
    if export is None:
        raise Http404("No such table.")
    try:
        days = _days(request)
    except BadDays:
        return _bad_days(request)
    header, rows = export(line, sel.window(days))
    return _csv(f"{line.code}-{table}.csv", header, rows)


Table = tuple[list[str], list[list[Any]]]


def _kpis(line: ProductionLine, win: sel.Window) -> Table:
    kpis = sel.line_kpis(line=line, win=win, flow=sel.line_flow(line=line, win=win))
    return ["kpi", "value"], [[k, "" if v is None else v] for k, v in kpis.items()]


def _flow(line: ProductionLine, win: sel.Window) -> Table:
    charts = sel.flow_chart(sel.line_flow(line=line, win=win))
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
    return ["day", *(f"cum_{k}" for k in keys), "wip", "inventory", "backordered"], rows


def _lead_times(line: ProductionLine, win: sel.Window) -> Table:
    done = order_flow(line=line, start=win.start, end=win.end).done
    hist = sel.lead_time_histogram(line=line, win=win, done=done)
    rows = [[hist["edges"][i], hist["edges"][i + 1], c] for i, c in enumerate(hist["counts"])]
    return ["from_days", "to_days", "work_orders"], rows


def _little(line: ProductionLine, win: sel.Window) -> Table:
    kpis = sel.line_kpis(line=line, win=win, flow=sel.line_flow(line=line, win=win))
    lit = sel.littles_law_panel(line=line, kpis=kpis)
    keys = ["wip", "best_th", "pwc_th", "worst_th", "best_ct", "pwc_ct", "worst_ct"]
    header = ["wip", "best_case_th", "pwc_th", "worst_case_th"]
    header += ["best_case_ct", "pwc_ct", "worst_case_ct"]
    return header, [[lit[k][i] for k in keys] for i in range(len(lit["wip"]))]


def _cards(line: ProductionLine, win: sel.Window) -> Table:
    rows = sel.cards_by_status(line=line, now=win.now)
    return ["status", "count", "oldest_days"], [list(r.values()) for r in rows]


def _ageing(line: ProductionLine, win: sel.Window) -> Table:
    rows = sel.card_ageing(line=line, now=win.now)
    return ["status", "count", "quantity", "oldest_days"], [list(r.values()) for r in rows]


EXPORTS: dict[str, Callable[[ProductionLine, sel.Window], Table]] = {
    "kpis": _kpis,
    "flow": _flow,
    "lead-times": _lead_times,
    "little": _little,
    "cards": _cards,
    "ageing": _ageing,
}
