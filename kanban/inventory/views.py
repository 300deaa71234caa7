"""The card-count pages: the counts (start one), a count (scan or tick, close), its
result (reprint or retire the missing cards).

Thin: parse, call one service or selector, render. Plain forms that work without
JavaScript; each action redirects back to the count with what it did, or answers the
page again with a 4xx naming the field, nothing changed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kanban.inventory import selectors
from kanban.inventory.forms import CountCloseForm, CountScanForm, CountStartForm, CountTickForm
from kanban.inventory.services import (
    card_count_close,
    card_count_reprint,
    card_count_retire,
    card_count_scan,
    card_count_start,
    card_count_tick,
)
from kanban.models import CardStatus
from production.errors import DomainError
from production.roles import OPERATOR, PLANNER, has_role, role_required

COUNTERS = (OPERATOR, PLANNER)  # operators help count; planners start, close and act


def _form_error(form: Any) -> str:
    return " ".join(
        (f"{form[name].label}: " if name in form.fields else "") + " ".join(errors)
        for name, errors in form.errors.items()
    )


@role_required(*COUNTERS)
@require_GET
def count_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


def _list(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    context = {
        "page": selectors.counts_page(),
        "form": extra.pop("form", None) or CountStartForm(),
        "planner": has_role(request.user, PLANNER),
        **extra,
    }
    return render(request, "kanban/inventory/counts.html", context, status=status)


@role_required(PLANNER)
@require_POST
def count_start(request: HttpRequest) -> HttpResponse:
    form = CountStartForm(request.POST)
    if not form.is_valid():
        return _list(request, status=400, form=form, error=_form_error(form))
    try:
        count = card_count_start(
            line=form.cleaned_data["line"],
            location=form.cleaned_data["location"],
            actor_id=request.user.pk,
        )
    except DomainError as error:
        running = getattr(error, "count_id", None)
        return _list(
            request,
            status=error.status_code,
            form=form,
            error=error.message,
            running=running,
        )
    messages.success(request, _("Count started: scan or tick the cards that are here."))
    return redirect("kanban:count", count_id=count.pk)


def _count_page(
    request: HttpRequest, count_id: int, *, status: int = 200, **extra: Any
) -> HttpResponse:
    count = selectors.count_detail(count_id)
    if count is None:
        raise Http404(_("There is no card count %(id)s.") % {"id": count_id})
    context = {
        "count": count,
        "result": selectors.count_result(count),
        "sheet": selectors.count_sheet(count) if count.is_open else None,
        "sheet_limit": selectors.SHEET_LIMIT,
        "scan_form": extra.pop("scan_form", None) or CountScanForm(),
        "planner": has_role(request.user, PLANNER),
        "retired": CardStatus.RETIRED,
        **extra,
    }
    return render(request, "kanban/inventory/count.html", context, status=status)


@role_required(*COUNTERS)
@require_GET
def count_page(request: HttpRequest, count_id: int) -> HttpResponse:
    return _count_page(request, count_id)


@role_required(*COUNTERS)
@require_POST
def count_scan(request: HttpRequest, count_id: int) -> HttpResponse:
    form = CountScanForm(request.POST)
    if not form.is_valid():
        return _count_page(request, count_id, status=400, scan_form=form, error=_form_error(form))
    try:
        scanned = card_count_scan(
            count_id=count_id, code=form.cleaned_data["code"], actor_id=request.user.pk
        )
    except DomainError as error:
        status = 404 if error.code == "not_found" else error.status_code
        return _count_page(request, count_id, status=status, scan_form=form, error=error.message)
    if scanned.new and scanned.in_scope and scanned.card.status != CardStatus.RETIRED:
        messages.success(request, scanned.message)
    else:
        messages.warning(request, scanned.message)
    return redirect(reverse("kanban:count", args=[count_id]) + "#scan")


@role_required(*COUNTERS)
@require_POST
def count_tick(request: HttpRequest, count_id: int) -> HttpResponse:
    form = CountTickForm(request.POST)
    if not form.is_valid():
        return _count_page(request, count_id, status=400, error=_form_error(form))
    try:
        new = card_count_tick(
            count_id=count_id, card_ids=form.cleaned_data["card"], actor_id=request.user.pk
        )
    except DomainError as error:
        return _count_page(request, count_id, status=error.status_code, error=error.message)
    messages.success(
        request,
        _("%(count)d ticked cards counted.") % {"count": new}
        if new
        else _("Those cards were already counted."),
    )
    return redirect("kanban:count", count_id=count_id)


@role_required(PLANNER)
@require_POST
def count_close(request: HttpRequest, count_id: int) -> HttpResponse:
    form = CountCloseForm(request.POST)
    if not form.is_valid():
        return _count_page(request, count_id, status=400, error=_form_error(form))
    try:
        card_count_close(
            count_id=count_id,
            actor_id=request.user.pk,
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as error:
        status = 404 if error.code == "not_found" else error.status_code
        return _count_page(request, count_id, status=status, error=error.message)
    messages.success(request, _("Count closed: here is what it found."))
    return redirect("kanban:count", count_id=count_id)


ACTIONS = {"reprint": card_count_reprint, "retire": card_count_retire}


@role_required(PLANNER)
@require_POST
def count_card_action(
    request: HttpRequest, count_id: int, card_id: int, action: str
) -> HttpResponse:
    """Reprint a missing card's label (same card, a new print) or retire the card."""
    service = ACTIONS.get(action)
    if service is None:
        raise Http404(_("There is no such action."))
    try:
        row = service(count_id=count_id, card_id=card_id, actor_id=request.user.pk)
    except DomainError as error:
        return _count_page(request, count_id, status=error.status_code, error=error.message)
    card = row.card
    name = _("%(sku)s card %(number)s") % {"sku": card.loop.product.sku, "number": card.number}
    if action == "reprint":
        messages.success(request, _("%(card)s: print its new label below.") % {"card": name})
    else:
        messages.success(request, _("%(card)s retired.") % {"card": name})
    return redirect("kanban:count", count_id=count_id)
