"""What every API view shares: role permissions, per-token throttling (`throttling.py`),
cursor pages, ETags from versions, and the schema class that documents the problem responses.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from rest_framework import filters, permissions, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from production.api.auth import CachedTokenAuthentication
from production.api.parsers import BoundedJSONParser
from production.api.problems import ERROR_STATUSES, PROBLEM_CONTENT_TYPE, ProblemSerializer
from production.api.throttling import TokenRateThrottle
from production.errors import DomainError
from production.roles import INTEGRATION, OPERATOR, PLANNER, has_role

log = logging.getLogger(__name__)

READERS = (OPERATOR, PLANNER, INTEGRATION)
INTEGRATORS = (INTEGRATION, PLANNER)
PLANNERS = (PLANNER,)
CARD_MOVERS = (OPERATOR, PLANNER)


class RolePermission(permissions.BasePermission):
    """The roles an action needs come from the view's `roles` map: {action: roles}.

    Reads (GET) default to every role (or `roles["read"]`); anything else must be named.
    Admins (superusers) pass everywhere.
    """

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        action = getattr(view, "action", None) or (request.method or "get").lower()
        rules: dict[str, tuple[str, ...]] = getattr(view, "roles", {})
        if action in rules:
            needed = rules[action]
        elif request.method in permissions.SAFE_METHODS:
            needed = rules.get("read", READERS)
        else:
            needed = ()
        allowed = has_role(user, *needed)
        if not allowed and needed:
            self.message = f"This needs one of the roles: {', '.join(needed)}."
        return allowed


BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


class StrictPageSize:
    """A `page_size` that is not a whole number from 1 to `max_page_size` is a 400 naming
    it, never silently replaced by the default."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("A whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return int(raw)


class CursorPage(StrictPageSize, CursorPagination):
    """DRF's cursor pages, refusing what it would guess around: a `page_size` that is not
    a whole number from 1 to `max_page_size`, and a cursor the API did not make (400,
    naming the parameter; DRF answers 404 for some and fails on others)."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-id"

    def _bad_cursor(self) -> ValidationError:
        return ValidationError(
            {self.cursor_query_param: [_("Not a cursor of this list: follow next or previous.")]}
        )

    def decode_cursor(self, request: Request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is not None and not BASE64.match(encoded):
            raise self._bad_cursor()  # DRF's decoder skips such characters and reads nothing
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise self._bad_cursor() from None

    def paginate_queryset(
        self, queryset: Any, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        if self.cursor_query_param not in request.query_params:
            return super().paginate_queryset(queryset, request, view)
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DjangoValidationError, DataError):
            # A position the cursor's ordering field cannot hold (a forged cursor).
            raise self._bad_cursor() from None


class PullboardAutoSchema(AutoSchema):
    """Documents the problem-details responses every operation can give, and that a list
    filter of one value sent empty (`?line=`, as a filter form sends it) is not applied (an
    empty item of a list of choices, `?status=`, is a 400)."""

    def _get_filter_parameters(self) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._get_filter_parameters()
        for parameter in parameters:
            if parameter.get("in") == "query" and parameter["schema"].get("type") != "array":
                parameter["allowEmptyValue"] = True
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        kind = "read" if self.method in ("GET", "HEAD") else "write"
        for code in ERROR_STATUSES[kind]:
            key = str(code)
            if key not in responses:
                responses[key] = self._get_response_for_code(
                    ProblemSerializer, key, media_types=[PROBLEM_CONTENT_TYPE], direction=direction
                )
        return responses


class QuickContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with the usual ERP request (any type, or the first renderer's)
    answered without parsing the Accept header."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)
        first = renderers[0]
        accept = request.META.get("HTTP_ACCEPT", "*/*")
        if (
            accept in ("*/*", first.media_type)
            and not format_suffix
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)


class ApiViewSet(viewsets.GenericViewSet):
    """Every Pullboard API viewset: role permissions, JSON bodies, per-token throttling,
    filters, ordering and cursor pages on lists, problem responses in the schema."""

    authentication_classes = [CachedTokenAuthentication, SessionAuthentication]
    permission_classes = [RolePermission]
    parser_classes = [BoundedJSONParser]
    throttle_classes = [TokenRateThrottle]
    content_negotiation_class = QuickContentNegotiation
    schema = PullboardAutoSchema()
    filter_backends = [DjangoFilterBackend, filters.OrderingFilter]
    pagination_class = CursorPage
    # Ids are positive whole numbers that fit a bigint: any other path segment is not a
    # resource (404 problem), never a lookup that fails on the way to the database.
    # Viewsets looked up by code or SKU set their own.
    lookup_value_regex = "[0-9]{1,18}"

    def actor_id(self) -> int | None:
        return self.request.user.pk


ETAG = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


def etag_for(version: int) -> str:
    return f'"{version}"'


def expected_version(request: Request) -> int | None:
    """The version named by `If-Match` (`"3"` or `W/"3"`); None when the header is absent."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = ETAG.match(header)
    if not match:
        raise DomainError(
            'If-Match must be the ETag you read, such as "3".', field="If-Match", code="invalid"
        )
    return int(match.group(1))


def with_etag(response: Response, version: int) -> Response:
    response["ETag"] = etag_for(version)
    return response
