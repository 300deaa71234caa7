"""`GET .../history/` on the API's master-data resources.

`HistoryMixin` gives a viewset the action: the object is looked up as the viewset
looks it up (its queryset, so its scoping: a client sees the history of its own webhook
subscriptions only), and the history is read by planners, integration clients and
admins, a cursor page at a time, newest first.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from production.api.common import INTEGRATORS, CursorPage
from production.audit.selectors import CHANGE_TYPES, history_entries, history_records


class HistoryPage(CursorPage):
    ordering = "-history_id"


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field, as the resource names it.")
    before = serializers.JSONField(allow_null=True, help_text="Null on creation.")
    after = serializers.JSONField(allow_null=True, help_text="Null on deletion.")


class HistoryEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The history row's id (newest is highest).")
    type = serializers.ChoiceField(choices=sorted(set(CHANGE_TYPES.values())))
    at = serializers.DateTimeField()
    user = serializers.CharField(
        allow_null=True, help_text="Who changed it (a token's user); null: the system."
    )
    reason = serializers.CharField(allow_null=True)
    changes = ChangeSerializer(many=True)


class HistoryPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next (older) page.")
    previous = serializers.URLField(allow_null=True)
    results = HistoryEntrySerializer(many=True)


# Adds `history/` to a detail route; put it before `ApiViewSet` in the bases. (A comment,
# not a docstring: the schema would show a docstring on every operation of the viewset.)
class HistoryMixin:
    history_roles: dict[str, tuple[str, ...]] = {"history": INTEGRATORS}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.roles = {**getattr(cls, "roles", {}), **cls.history_roles}  # type: ignore[attr-defined]

    @extend_schema(
        summary="Who changed it, when, and each changed field before and after",
        description=(
            "Newest first, cursor-paginated. Planners, integration clients and admins. A "
            "first entry of type `changed` with every `before` null is data older than "
            "the audit trail."
        ),
        filters=False,
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next`/`previous`."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 1000, default 100."),
        ],
        responses={200: HistoryPageSerializer},
    )
    @action(detail=True, methods=["get"], url_path="history", filter_backends=[])
    def history(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()  # type: ignore[attr-defined]
        paginator = HistoryPage()
        page = paginator.paginate_queryset(history_records(obj.history.all()), request, self)  # type: ignore[arg-type]
        entries = history_entries(list(page or []))
        return paginator.get_paginated_response(HistoryEntrySerializer(entries, many=True).data)
