"""Token authentication (django-rest-knox) with a short per-process memory.

Knox looks a token up with two queries on every request; an ERP that sends demand
event by event pays them each time. A token seen in the last few seconds is
trusted from memory instead, with its user and roles. Its expiry is still checked
on every request; a token deleted (revoked) or a role changed takes effect within
`TTL` seconds.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.crypto import hash_token

from production.roles import roles_of

TTL = 10.0
MAX_ENTRIES = 2048


class CachedTokenAuthentication(TokenAuthentication):
    _seen: OrderedDict[str, tuple[float, Any, Any]] = OrderedDict()
    _lock = threading.Lock()

    def authenticate_credentials(self, token: bytes) -> tuple[Any, Any]:
        try:
            digest = hash_token(token.decode())
        except (TypeError, ValueError, UnicodeDecodeError):
            return super().authenticate_credentials(token)
        now = time.monotonic()
        with self._lock:
            entry = self._seen.get(digest)
        if entry is not None:
            seen_at, user, auth_token = entry
            fresh = now - seen_at < TTL
            if fresh and (auth_token.expiry is None or auth_token.expiry > timezone.now()):
                return user, auth_token
        user, auth_token = super().authenticate_credentials(token)
        roles_of(user)  # loaded once, kept with the user
        with self._lock:
            self._seen[digest] = (now, user, auth_token)
            self._seen.move_to_end(digest)
            while len(self._seen) > MAX_ENTRIES:
                self._seen.popitem(last=False)
        return user, auth_token

    @classmethod
    def forget_all(cls) -> None:
        with cls._lock:
            cls._seen.clear()


class CachedTokenScheme(OpenApiAuthenticationExtension):
    """Documents the scheme in the OpenAPI schema: `Authorization: Token KEY`."""

    target_class = "production.api.auth.CachedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Token"
        )
