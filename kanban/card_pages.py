"""A card's own page: its whole history, its hold and its loop's, one-time cards; and the
undo of a container marked empty by mistake (answered, as a board move, with the columns).

Thin, as `views.py`: parse, call one service or selector, render. Plain forms (they
work without JavaScript): each action answers the card's page again, with what it did
or, on bad input, a 400 naming the field and nothing changed.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_POST

from kanban.forms import HoldForm, OneTimeCardForm
from kanban.models import HoldReason, KanbanCard
from kanban.selectors.history import card_history
from kanban.services import (
    card_hold,
    card_move_undo,
    card_release,
    loop_hold,
    loop_issue_one_time_card,
    loop_release,
)
from kanban.views import HtmxHttpRequest, _columns_response, _refused
from production.errors import DomainError
from production.roles import OPERATOR, PLANNER, has_role, role_required

SHOP_FLOOR = (OPERATOR, PLANNER)


def _page(request: HttpRequest, card_id: int, *, status: int = 200, **extra: Any) -> HttpResponse:
    history = card_history(card_id)
    if history is None:
        raise Http404(_("There is no card %(id)s.") % {"id": card_id})
    context = {
        "history": history,
        "card": history.card,
        "hold_form": extra.pop("hold_form", None) or HoldForm(),
        "one_time_form": extra.pop("one_time_form", None) or OneTimeCardForm(),
        "reasons": HoldReason.choices,
        "planner": has_role(request.user, PLANNER),
        **extra,
    }
    return render(request, "kanban/card.html", context, status=status)


@role_required(*SHOP_FLOOR)
@require_GET
def card_page(request: HttpRequest, card_id: int) -> HttpResponse:
    return _page(request, card_id)


@role_required(*SHOP_FLOOR)
@require_POST
def card_hold_action(request: HttpRequest, card_id: int, what: str) -> HttpResponse:
    """Hold or release the card (`what` = card) or its whole loop (`what` = loop)."""
    history = card_history(card_id)
    if history is None or what not in ("card", "loop"):
        raise Http404(_("There is no card %(id)s.") % {"id": card_id})
    card = history.card
    release = request.POST.get("action") == "release"
    form = HoldForm(request.POST)
    if not release and not form.is_valid():
        return _page(request, card_id, status=400, hold_form=form)
    try:
        if release and what == "card":
            card_release(card_id=card.pk, actor_id=request.user.pk)
        elif release:
            loop_release(loop_id=card.loop_id, actor_id=request.user.pk)
        elif what == "card":
            card_hold(card_id=card.pk, actor_id=request.user.pk, **form.cleaned_data)
        else:
            loop_hold(loop_id=card.loop_id, actor_id=request.user.pk, **form.cleaned_data)
    except DomainError as error:
        return _page(request, card_id, status=error.status_code, error=error)
    messages.success(request, _("Released from hold.") if release else _("Put on hold."))
    return redirect("kanban:card", card_id=card.pk)


@role_required(PLANNER)
@require_POST
def one_time_card_action(request: HttpRequest, card_id: int) -> HttpResponse:
    """A planner issues a one-time card in this card's loop, for a demand spike."""
    history = card_history(card_id)
    if history is None:
        raise Http404(_("There is no card %(id)s.") % {"id": card_id})
    form = OneTimeCardForm(request.POST)
    if not form.is_valid():
        return _page(request, card_id, status=400, one_time_form=form)
    try:
        new = loop_issue_one_time_card(
            loop_id=history.card.loop_id,
            reason=form.cleaned_data["reason"],
            actor_id=request.user.pk,
        )
    except DomainError as error:
        return _page(request, card_id, status=error.status_code, error=error)
    messages.success(
        request, _("One-time card #%(number)s issued: it is to make.") % {"number": new.number}
    )
    return redirect("kanban:card", card_id=new.pk)


@gzip_page
@role_required(*SHOP_FLOOR)
@require_POST
def card_undo_view(request: HtmxHttpRequest, card_id: int) -> HttpResponse:
    """Put back a container marked empty by mistake (whoever marked it, for a short time)."""
    card = KanbanCard.objects.select_related("loop__product__line").filter(pk=card_id).first()
    event_id = request.POST.get("event", "")
    if card is None or not event_id.isdigit():
        detail = {
            "message": _("Nothing to undo."),
            "code": "invalid",
            "field": "event",
            "card": card_id,
        }
        return _refused(request, card.loop.product.line if card else None, detail, 400)
    line = card.loop.product.line
    try:
        back = card_move_undo(card_id=card_id, event_id=int(event_id), actor_id=request.user.pk)
    except DomainError as error:
        detail = {"message": error.message, "code": error.code, "card": card_id}
        return _refused(
            request, line, detail, 404 if error.code == "not_found" else error.status_code
        )
    message = _("%(sku)s card %(number)s put back: %(status)s.") % {
        "sku": card.loop.product.sku,
        "number": back.number,
        "status": back.get_status_display().lower(),
    }
    if not request.htmx or line is None:  # a purchased product's card: on no line's board
        messages.success(request, message)
        return redirect("kanban:board", code=line.code) if line else redirect("kanban:boards")
    response = _columns_response(request, line)
    response["HX-Trigger"] = json.dumps({"pb-moved": {"message": message, "card": card_id}})
    return response
