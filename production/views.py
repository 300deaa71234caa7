"""HTML pages of the production app. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from production.roles import ROLES, SUPPLIER, role_required, roles_of
from production.selectors import home_summary


def home(request: HttpRequest) -> HttpResponse:
    # A supplier's user lands on its own board: the plant's pages are not for it.
    if SUPPLIER in roles_of(request.user):
        return redirect("supplier-board")
    return _plant_home(request)


@role_required(*ROLES)
def _plant_home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"summary": home_summary()})
