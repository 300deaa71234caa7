"""The language picker: Django's `set_language`, which sets the device's cookie, and for a
signed-in user the saved choice that follows them to every device."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.i18n import set_language as django_set_language

from production.accounts.middleware import SESSION_KEY
from production.accounts.services import user_language_set


def set_language(request: HttpRequest) -> HttpResponse:
    response = django_set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_language_set(user_id=request.user.pk, language=language)
        request.session[SESSION_KEY] = language
    return response
