"""The admin's building blocks for big tables: read-only pages of ledgers and events,
counted by PostgreSQL's estimate past a size, with filters that never scan a whole table.

Every admin of production and its concerns builds on these (`production.admin` re-exports
them).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    """Pages of a ledger without counting millions of rows exactly.

    PostgreSQL's own estimate of the rows (EXPLAIN) stands in for `count()` once it passes
    `exact_below`; smaller results (a filter, a search) are counted exactly. The last page
    number is then approximate, which the admin's pages of a ledger can live with.
    """

    exact_below = 20_000

    @cached_property
    def count(self) -> int:
        estimate = self._estimate()
        if estimate is None or estimate < self.exact_below:
            return super().count
        return estimate

    def _estimate(self) -> int | None:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return None
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        try:
            sql, params = queryset.query.sql_with_params()
        except EmptyResultSet:  # a filter nothing can match (`pk__in=[]`): count it exactly
            return None
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return int(plan[0]["Plan"]["Plan Rows"])


class BoundedChangeList(ChangeList):
    """Django's change list, with a filter it cannot compute (a date hierarchy or a date
    lookup at `?occurred_at__year=9999`, whose next year does not exist) treated as a bad filter:
    the admin shows the list again with its "invalid filter" note instead of a 500."""

    def get_filters(self, request: HttpRequest) -> Any:
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_results(self, request: HttpRequest) -> None:
        # A date lookup in the query string (`occurred_at__year=0`) fails only when run.
        try:
            super().get_results(request)
        except (ValueError, OverflowError) as exc:
            raise IncorrectLookupParameters(exc) from exc


class ReadOnlyAdmin(admin.ModelAdmin):
    """A ledger or an event log: seen in the admin, written only by the services.

    Ledgers grow to millions of rows: no exact count of them (`EstimatedCountPaginator`,
    no full result count), and the big ones use no `date_hierarchy` (it reads every row's
    date) but the date filter's fixed choices.
    """

    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return BoundedChangeList

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Lines ----------------------------------------------------------------------
