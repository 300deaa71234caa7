"""The audit trail in the admin: each audited model's History page lists who changed what
and when, with a diff of the changed fields (django-simple-history's admin)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin


class HistoryAdmin(SimpleHistoryAdmin):
    """The History page, read-only: going back to an old version would write around the
    services (and their rules), so a change is made again through the form instead."""

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def history_form_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method != "GET":  # the page hides the button; a POST is refused too
            raise PermissionDenied
        return super().history_form_view(request, *args, **kwargs)


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserHistoryAdmin(HistoryAdmin, UserAdmin):
    """Django's user admin, with the history of each user's roles (groups)."""
