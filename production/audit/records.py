"""The audit trail of master data, kept by django-simple-history.

Every model that is master data (products, BOM lines, lines, locations, suppliers,
loops, users' roles, webhook subscriptions) declares `history = AuditHistory(...)`:
each save or delete writes a historical row with the values after it, who and when.

Who: a service that is given `actor_id` records it (`@audited`), also from a Celery
task or a command, where there is no request; otherwise the request's user (simple-
history's middleware; DRF sets the token's user on the request it wraps); otherwise
nobody (a system change).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from simple_history import register
from simple_history.models import HistoricalRecords

F = TypeVar("F", bound=Callable[..., Any])

_actor_id: ContextVar[int | None] = ContextVar("pullboard_history_actor", default=None)


@contextmanager
def history_actor(actor_id: int | None) -> Iterator[None]:
    """Changes saved inside are recorded as made by `actor_id` (None: leave it as it is)."""
    if actor_id is None:
        yield
        return
    token = _actor_id.set(actor_id)
    try:
        yield
    finally:
        _actor_id.reset(token)


def audited(service: F) -> F:
    """A service whose `actor_id` keyword is who its history rows name."""

    @wraps(service)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with history_actor(kwargs.get("actor_id")):
            return service(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _history_user(instance: Any, request: Any = None, **kwargs: Any) -> Any:
    actor_id = _actor_id.get()
    if actor_id is not None:
        return get_user_model()(pk=actor_id)  # only its key is stored
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


class AuditHistory(HistoricalRecords):
    """simple-history's records, naming the service's actor, and silent on a save that
    touched only fields kept out of the history (a sizing recommendation, a login time)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("get_user", _history_user)
        super().__init__(**kwargs)

    def post_save(self, instance: Any, created: bool, using: Any = None, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if not created and fields and set(fields) <= set(self.excluded_fields):
            return
        super().post_save(instance, created, using=using, **kwargs)


def register_user_history() -> None:
    """Users' roles are their groups: the user's history follows its group membership
    (an m2m field), without the password hash or the login time."""
    register(
        get_user_model(),
        app="production",
        records_class=AuditHistory,
        m2m_fields=["groups"],
        excluded_fields=["password", "last_login"],
    )
