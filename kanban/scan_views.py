"""The scan page: a USB barcode scanner types the card's code and Enter.

Thin like the board's views: parse, call `card_scan`, render. What the page keeps
between scans lives in the operator's session: the mode chosen (what the next scan
does) and the last scans with their result, so a glance shows what went through.
A scan POST with an `Idempotency-Key` (the offline queue's replays) applies once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kanban.forms import ScanForm
from kanban.scanning import NEXT_STEP, SCAN_MODES, ScanResult, card_scan, repeat_window_seconds
from production.errors import DomainError
from production.idempotency import idempotent_page
from production.roles import OPERATOR, PLANNER, role_required

MODE_KEY = "pullboard_scan_mode"
RECENT_KEY = "pullboard_recent_scans"
RECENT_KEEP = 10


def _recent(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {**entry, "at": datetime.fromisoformat(entry["at"])}
        for entry in request.session.get(RECENT_KEY, [])
    ]


def _remember(request: HttpRequest, *, outcome: str, title: str, text: str) -> None:
    entry = {"at": timezone.now().isoformat(), "outcome": outcome, "title": title, "text": text}
    request.session[RECENT_KEY] = [entry, *request.session.get(RECENT_KEY, [])][:RECENT_KEEP]


def _result_title(result: ScanResult) -> str:
    card = result.card
    return _("%(sku)s card %(number)s") % {"sku": card.loop.product.sku, "number": card.number}


def _page_context(request: HttpRequest, mode: str) -> dict[str, Any]:
    return {
        "form": ScanForm(),
        "window": repeat_window_seconds(),
        "modes": list(SCAN_MODES.values()),
        "mode": SCAN_MODES[mode],
    }


def _stored_scan(response: HttpResponse) -> dict[str, str]:
    return {"html": response.content.decode()}


def _replay_scan(request: HttpRequest, body: dict[str, str]) -> HttpResponse:
    return HttpResponse(body["html"], content_type="text/html; charset=utf-8")


@role_required(OPERATOR, PLANNER)
@require_http_methods(["GET", "POST"])
@idempotent_page(stored_body=_stored_scan, replay=_replay_scan)
def scan(request: HttpRequest) -> HttpResponse:
    """Scan page: GET shows it, POST applies one scan (htmx answers only the result)."""
    mode = request.session.get(MODE_KEY, NEXT_STEP)
    mode = mode if mode in SCAN_MODES else NEXT_STEP
    status = 200
    extra: dict[str, Any] = {}
    if request.method == "POST":
        form = ScanForm(request.POST)
        if form.is_valid():
            mode = request.session[MODE_KEY] = form.cleaned_data["mode"]
            status, extra = _apply(request, form.cleaned_data)
        else:
            extra["error"] = (
                _("Nothing was scanned.")
                if "code" in form.errors
                else " ".join(
                    f"{form[name].label}: {' '.join(str(e) for e in errors)}"
                    for name, errors in form.errors.items()
                )
            )
            status = 400
            _remember(request, outcome="refused", title=_("Not applied"), text=extra["error"])
    context = {**_page_context(request, mode), **extra, "recent": _recent(request)}
    if getattr(request, "htmx", False):
        html = render_to_string("kanban/_scan_result.html", {**context, "oob": True}, request)
        return HttpResponse(html, status=status)
    return render(request, "kanban/scan.html", context, status=status)


def _apply(request: HttpRequest, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    try:
        result = card_scan(
            code=data["code"],
            actor_id=request.user.pk,
            mode=data["mode"],
            wip_override_reason=data["wip_override_reason"],
        )
    except DomainError as error:
        extra: dict[str, Any] = {"error": error.message, "error_code": error.code}
        if error.code == "wip_limit":
            extra["override"] = {"code": data["code"], "mode": data["mode"]}
        _remember(request, outcome="refused", title=_("Not applied"), text=error.message)
        return (404 if error.code in ("not_found", "unknown_code") else error.status_code), extra
    card = result.card
    if result.repeated:
        _remember(
            request,
            outcome="repeat",
            title=_result_title(result),
            text=_("Already scanned: nothing changed."),
        )
    else:
        _remember(
            request,
            outcome="ok",
            title=_result_title(result),
            text=_("%(from)s → %(to)s")
            % {"from": result.from_label, "to": card.get_status_display()},
        )
    return 200, {"result": result}
