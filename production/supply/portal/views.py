"""The supplier's board: its open call-offs in three columns, confirm and ship buttons.
Thin: parse, call one selector or service, render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from production.errors import DomainError
from production.roles import SUPPLIER, roles_of
from production.supply.portal.selectors import supplier_board, supplier_call_offs, supplier_of
from production.supply.services import call_off_confirm, call_off_ship

ACTIONS = {"confirm": call_off_confirm, "ship": call_off_ship}
DONE = {
    "confirm": gettext_lazy("Call-off CO-%(id)s confirmed."),
    "ship": gettext_lazy("Call-off CO-%(id)s shipped."),
}


def supplier_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A supplier's user tied to its supplier; nobody else (the plant has its own pages)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if SUPPLIER not in roles_of(request.user):
            raise PermissionDenied(_("This page is for: %(roles)s.") % {"roles": SUPPLIER})
        supplier = supplier_of(request.user)
        if supplier is None:
            raise PermissionDenied(
                _("Your login is not tied to a supplier: ask the plant's admin to tie it.")
            )
        return view(request, supplier, *args, **kwargs)

    return wrapped


@require_GET
@supplier_required
def board(request: HttpRequest, supplier: Any) -> HttpResponse:
    return render(
        request,
        "production/supply/portal/board.html",
        {"board": supplier_board(supplier=supplier)},
    )


@require_POST
@supplier_required
def call_off_action(
    request: HttpRequest, supplier: Any, call_off_id: int, action: str
) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    # Another supplier's call-off (or one no longer open) does not exist for this one.
    if not supplier_call_offs(supplier_id=supplier.pk).filter(pk=call_off_id).exists():
        raise Http404(_("No such open call-off of yours."))
    version = request.POST.get("version", "")
    if not version.isdigit():
        messages.error(request, _("The page was out of date: here is the board as it is now."))
        return redirect("supplier-board")
    try:
        ACTIONS[action](
            call_off_id=call_off_id, actor_id=request.user.pk, expected_version=int(version)
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, str(DONE[action]) % {"id": call_off_id})
    return redirect("supplier-board")
