"""Every waiting pull signal of the plant, across lines, for the people who run the floor.

A waiting signal is an empty card of a line in pull mode: a container to make. Listed
longest waiting first, at most `LIMIT` of them, with how many wait on each line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kanban.models import CardStatus, KanbanCard
from kanban.selectors.urgency import age_text
from production.models import LineMode

LIMIT = 500


@dataclass
class WaitingSignal:
    card_id: int
    number: int
    since: datetime
    waited: str
    sku: str
    name: str
    line_code: str
    location: str
    work_order_id: int | None


@dataclass
class LineSignals:
    code: str
    name: str
    waiting: int


@dataclass
class SignalsPage:
    signals: list[WaitingSignal]
    lines: list[LineSignals]
    total: int
    limit: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.signals)


def _waiting(line_code: str, query: str) -> QuerySet[KanbanCard]:
    cards = KanbanCard.objects.filter(
        status=CardStatus.EMPTY, loop__product__line__mode=LineMode.PULL
    )
    if line_code:
        cards = cards.filter(loop__product__line__code=line_code)
    if query:
        cards = cards.filter(
            Q(loop__product__sku__icontains=query) | Q(loop__product__name__icontains=query)
        )
    return cards


def waiting_signals(*, line_code: str = "", query: str = "", limit: int = LIMIT) -> SignalsPage:
    """Two queries: the longest waiting signals, and how many wait per line."""
    cards = _waiting(line_code, query)
    rows = cards.order_by("status_changed_at", "id").values_list(
        "id",
        "number",
        "status_changed_at",
        "loop__product__sku",
        "loop__product__name",
        "loop__product__line__code",
        "loop__location__code",
        "work_order_id",
    )[:limit]
    now = timezone.now()
    signals = [
        WaitingSignal(
            pk, number, since, age_text((now - since).total_seconds()), sku, name, line, at, order
        )
        for pk, number, since, sku, name, line, at, order in rows
    ]
    per_line = [
        LineSignals(code, name, waiting)
        for code, name, waiting in cards.order_by()
        .values_list("loop__product__line__code", "loop__product__line__name")
        .annotate(waiting=Count("id"))
        .order_by("-waiting", "loop__product__line__code")
    ]
    return SignalsPage(signals, per_line, sum(line.waiting for line in per_line), limit)
