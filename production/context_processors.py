from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from production.roles import roles_of


def roles(request: HttpRequest) -> dict[str, Any]:
    return {"user_roles": roles_of(request.user) if request.user.is_authenticated else set()}
