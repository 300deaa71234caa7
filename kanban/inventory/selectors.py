"""Reads of card counts shaped for the pages and the API: what a count expects, how far
it is, and its result. A constant number of queries each, whatever the count's size."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from kanban.inventory.models import CardCount, CountedCard, CountStatus, Outcome
from kanban.models import ACTIVE_CARD_STATUSES, KanbanCard
from production.models import Location, ProductionLine

RECENT_COUNTS = 20
RECENT_SEEN = 50


def expected_cards(count: CardCount) -> QuerySet[KanbanCard]:
    """The cards a count should find: the active cards of the live loops in its scope."""
    cards = KanbanCard.objects.filter(
        status__in=ACTIVE_CARD_STATUSES, loop__archived_at__isnull=True
    )
    if count.line_id is not None:
        return cards.filter(loop__product__line_id=count.line_id)
    return cards.filter(loop__location=count.location)


def in_scope(count: CardCount, card: KanbanCard) -> bool:
    return expected_cards(count).filter(pk=card.pk).exists()


def card_counts() -> QuerySet[CardCount]:
    return CardCount.objects.select_related("line", "location", "started_by", "closed_by").annotate(
        seen_count=Count("cards", filter=~Q(cards__outcome=Outcome.MISSING))
    )


def count_detail(count_id: int) -> CardCount | None:
    return card_counts().filter(pk=count_id).first()


@dataclass
class CountsPage:
    open: list[CardCount]
    recent: list[CardCount]
    lines: list[ProductionLine]
    locations: list[Location]


def counts_page() -> CountsPage:
    """The counts in progress, the last closed ones, and what a new count can cover."""
    counts = card_counts()
    return CountsPage(
        open=list(counts.filter(status=CountStatus.OPEN).order_by("-started_at", "-id")),
        recent=list(
            counts.filter(status=CountStatus.CLOSED).order_by("-closed_at", "-id")[:RECENT_COUNTS]
        ),
        lines=list(ProductionLine.objects.order_by("code")),
        locations=list(Location.objects.filter(archived_at__isnull=True).order_by("code")),
    )


@dataclass
class CountSheet:
    """An open count's progress and the list the planner ticks: the expected cards not
    seen yet, the first `SHEET_LIMIT` of them (a big line is scanned more than ticked)."""

    expected: int
    seen: int  # expected cards seen
    unexpected: int  # cards seen that belong elsewhere or are retired
    to_tick: list[KanbanCard]

    @property
    def not_seen(self) -> int:
        return self.expected - self.seen


SHEET_LIMIT = 300


def count_sheet(count: CardCount) -> CountSheet:
    seen = Exists(CountedCard.objects.filter(count=count, card_id=OuterRef("pk")))
    expected = expected_cards(count)
    tally = expected.aggregate(total=Count("pk"), seen=Count("pk", filter=seen))
    counted = CountedCard.objects.filter(count=count).count()
    to_tick = list(
        expected.exclude(seen)
        .select_related("loop__product", "loop__location")
        .order_by("loop__product__sku", "loop__location__code", "number")[:SHEET_LIMIT]
    )
    return CountSheet(tally["total"], tally["seen"], counted - tally["seen"], to_tick)


def counted_cards(count: CardCount, *, outcome: str | None = None) -> QuerySet[CountedCard]:
    rows = CountedCard.objects.filter(count=count).select_related(
        "card__loop__product__line", "card__loop__location", "seen_by", "acted_by"
    )
    if outcome is not None:
        rows = rows.filter(outcome=outcome)
    return rows.order_by("card__loop__product__sku", "card__loop__location__code", "card__number")


@dataclass
class CountResult:
    count: CardCount
    missing: list[CountedCard]
    unexpected: list[CountedCard]
    seen: list[CountedCard]  # an open count: what has been seen so far
    old_labels: list[CountedCard]  # scanned from a label without a check digit

    @property
    def reprinted_ids(self) -> str:
        return ",".join(str(row.card_id) for row in self.missing if row.action == "reprinted")


def count_result(count: CardCount) -> CountResult:
    """A closed count's missing and unexpected cards; an open count's cards seen so far."""
    old_labels = list(counted_cards(count).filter(old_label=True)[:RECENT_SEEN])
    if count.is_open:
        seen = list(counted_cards(count).order_by("-seen_at", "-id")[:RECENT_SEEN])
        return CountResult(count, [], [], seen, old_labels)
    return CountResult(
        count,
        missing=list(counted_cards(count, outcome=Outcome.MISSING)),
        unexpected=list(counted_cards(count, outcome=Outcome.UNEXPECTED)),
        seen=[],
        old_labels=old_labels,
    )
