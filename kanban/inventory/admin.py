"""Card counts in the admin: read-only (counts are made on their pages and over the API)."""

from __future__ import annotations

from django.contrib import admin

from kanban.inventory.models import CardCount, CountedCard
from production.admin import ReadOnlyAdmin, ReadOnlyInline


class CountedCardInline(ReadOnlyInline):
    model = CountedCard
    fields = ("card", "outcome", "unexpected", "via", "old_label", "seen_at", "action", "acted_at")
    readonly_fields = fields


@admin.register(CardCount)
class CardCountAdmin(ReadOnlyAdmin):
    list_display = ("id", "line", "location", "status", "started_by", "started_at", "closed_at")
    list_select_related = ("line", "location", "started_by")
    show_full_result_count = False
    inlines = [CountedCardInline]


@admin.register(CountedCard)
class CountedCardAdmin(ReadOnlyAdmin):
    list_display = ("count", "card", "outcome", "unexpected", "via", "seen_at", "action")
    list_select_related = ("count__line", "count__location", "card__loop__product")
    raw_id_fields = ("count", "card")
