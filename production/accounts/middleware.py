"""The language a signed-in user picked wins over the device's cookie and the browser's
choice (a shared tablet shows each operator's own language). Read once per session: the
session keeps it from login on (`signals.py`), so a request costs no query; a session
from before this feature reads it once."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils import translation

from production.accounts.models import UserSettings
from production.ops.middleware import SyncAndAsyncMiddleware

SESSION_KEY = "pullboard_language"


def user_language(request: HttpRequest) -> str:
    """The signed-in user's saved language ('' if none), cached in the session."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    language = request.session.get(SESSION_KEY)
    if language is None:
        language = (
            UserSettings.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
            or ""
        )
        request.session[SESSION_KEY] = language
    return str(language)


def _apply(request: HttpRequest) -> None:
    try:
        language = user_language(request)
    except DatabaseError:  # the database is down: the page says so (503), in any language
        return
    if language and translation.check_for_language(language):
        translation.activate(language)
        request.LANGUAGE_CODE = language


class UserLanguageMiddleware(SyncAndAsyncMiddleware):
    """After the authentication middleware; LocaleMiddleware's response headers follow."""

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        _apply(request)
        return self.get_response(request)

    async def _acall(self, request: HttpRequest) -> Any:
        await sync_to_async(_apply)(request)
        return await self.get_response(request)
