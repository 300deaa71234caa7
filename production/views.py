"""HTML pages of the production app. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from production.roles import ROLES, role_required
from production.selectors import home_summary


@role_required(*ROLES)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"summary": home_summary()})
