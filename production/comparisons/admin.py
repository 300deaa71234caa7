"""Comparisons in the Django admin."""

from __future__ import annotations

from django.contrib import admin

from production.admin import ReadOnlyAdmin
from production.comparisons.models import Comparison


@admin.register(Comparison)
class ComparisonAdmin(ReadOnlyAdmin):
    """Push-vs-pull runs of the twin: started from the planner's pages, read here."""

    list_display = ("id", "name", "line", "kind", "status", "progress", "created_by", "created_at")
    list_filter = ("status", "kind", "line")
    list_select_related = ("line", "created_by")
    search_fields = ("name",)
    date_hierarchy = "created_at"
