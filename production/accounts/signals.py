"""At login the user's saved language goes into the session, so no request reads it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from production.accounts.middleware import SESSION_KEY
from production.accounts.models import UserSettings


@receiver(user_logged_in, dispatch_uid="pullboard-user-language")
def remember_language(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    saved = UserSettings.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
    request.session[SESSION_KEY] = saved or ""
