"""Writes of the users' own settings."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from production.accounts.models import UserSettings
from production.errors import DomainError


@transaction.atomic
def user_language_set(*, user_id: int, language: str) -> UserSettings:
    if language and language not in dict(settings.LANGUAGES):
        raise DomainError(f"Unknown language {language!r}.", field="language")
    row, _ = UserSettings.objects.update_or_create(user_id=user_id, defaults={"language": language})
    return row
