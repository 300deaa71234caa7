"""`python manage.py issue_token USERNAME`: print a new API token for a user (an ERP client).

The key is shown once: only its digest is stored (django-rest-knox).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from knox.models import AuthToken
from knox.settings import knox_settings


class Command(BaseCommand):
    help = "Issue an API token for USERNAME and print its key (shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Days until the token expires (default: REST_KNOX TOKEN_TTL).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        if not user.is_active:
            raise CommandError(f"User {user.username!r} is inactive.")
        days = options["days"]
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        ttl = timedelta(days=days) if days is not None else knox_settings.TOKEN_TTL
        token, key = AuthToken.objects.create(user=user, expiry=ttl)
        self.stderr.write(f"Token for {user.username}, expires {token.expiry:%Y-%m-%d %H:%M} UTC:")
        self.stdout.write(key)
