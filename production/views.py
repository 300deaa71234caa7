"""HTML pages of the production app. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from production.selectors import home_summary


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"summary": home_summary()})
