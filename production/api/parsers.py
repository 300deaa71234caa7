"""The API's JSON parser: bounded in size and depth, every refusal a problem document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, status


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "body_too_large"


def max_body_bytes() -> int:
    """Django's own upload bound (`DATA_UPLOAD_MAX_MEMORY_SIZE`), also the API's."""
    limit: int | None = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return limit if limit is not None else 2_621_440


class BoundedJSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a body past `max_body_bytes()` (413) before reading it,
    and JSON nested past what Python's parser can follow (400) instead of crashing."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        request = (parser_context or {}).get("request")
        limit = max_body_bytes()
        if request is not None:
            meta = request.META
            try:
                length = int(meta.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                raise BodyTooLarge(
                    _("The request body is %(length)d bytes; at most %(limit)d are accepted.")
                    % {"length": length, "limit": limit}
                )
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("JSON nested too deeply.")) from None
