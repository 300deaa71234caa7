"""Card row locks, always in primary-key order (after the stock levels they hold)."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet
from django.db.models.query import RawQuerySet

from kanban.models import CardStatus, KanbanCard, KanbanLoop


def lock_cards(cards: QuerySet[KanbanCard]) -> QuerySet[KanbanCard]:
    return cards.select_for_update(of=("self",)).order_by("pk")


def lock_card_ids(ids: list[int]) -> QuerySet[KanbanCard]:
    return lock_cards(KanbanCard.objects.filter(pk__in=ids))


def lock_next_containers(wanted: dict[KanbanLoop, Decimal]) -> RawQuerySet[KanbanCard]:
    """Lock the containers consumption will reach, per loop: the open one, then full ones
    in the order they were filled; only as many as the quantity can empty.

    Written in SQL: this runs for every batch of demand, and Django takes longer to
    compile the window query than PostgreSQL takes to run it. Locks in pk order, as
    `kanban.locks` does.
    """
    depth = max(int(qty // loop.container_quantity) + 2 for loop, qty in wanted.items())
    table = KanbanCard._meta.db_table
    loops = [loop.pk for loop in wanted]
    locking = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return KanbanCard.objects.raw(
        f'SELECT * FROM "{table}" WHERE id IN ('
        "SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY loop_id "
        "ORDER BY status <> %s, status_changed_at, number) AS rank "
        f'FROM "{table}" WHERE loop_id IN ({", ".join(["%s"] * len(loops))}) '
        "AND status IN (%s, %s)) ranked "
        f"WHERE rank <= %s) ORDER BY id{locking}",
        [CardStatus.IN_USE, *loops, CardStatus.IN_USE, CardStatus.FULL, depth],
    )
