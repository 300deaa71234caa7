"""The one error type of the domain, turned into a clear message by the API and the pages."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the request; nothing was changed.

    `field` names the input at fault where there is one; `code` is stable for clients.
    """

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class NotAllowed(DomainError):
    """A transition that the state machine does not allow from the current state."""

    status_code = 409

    def __init__(
        self, message: str, *, field: str | None = None, code: str = "not_allowed"
    ) -> None:
        super().__init__(message, field=field, code=code)


class VersionConflict(DomainError):
    """Somebody changed the row since the caller read it (stale version / If-Match)."""

    status_code = 412

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message, field="version", code="version_conflict")
        self.current_version = current_version
