"""Card row locks, always in primary-key order (after the stock levels they hold)."""

from __future__ import annotations

from django.db.models import QuerySet

from kanban.models import KanbanCard


def lock_cards(cards: QuerySet[KanbanCard]) -> QuerySet[KanbanCard]:
    return cards.select_for_update(of=("self",)).order_by("pk")


def lock_card_ids(ids: list[int]) -> QuerySet[KanbanCard]:
    return lock_cards(KanbanCard.objects.filter(pk__in=ids))
