"""Roles are Django groups (created by a data migration); superusers are admins."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

OPERATOR = "operator"
PLANNER = "planner"
INTEGRATION = "integration"
ADMIN = "admin"
# A supplier's user sees its own supplier's call-offs and nothing else of the plant
# (production/supply/portal): the role is kept apart from the plant's roles.
SUPPLIER = "supplier"
ROLES = (OPERATOR, PLANNER, INTEGRATION)


def roles_of(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_pullboard_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        if SUPPLIER in cached:
            # Outside the plant: whatever other group or flag the user was given by
            # mistake, a supplier's user is a supplier only.
            cached = {SUPPLIER}
        elif user.is_superuser:
            cached.add(ADMIN)
        user._pullboard_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    """Admins may do everything; others need one of the roles."""
    mine = roles_of(user)
    return ADMIN in mine or bool(mine & set(roles))


def role_required(
    *roles: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied(
                    _("This page is for: %(roles)s.") % {"roles": ", ".join(roles)}
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
