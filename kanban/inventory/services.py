"""All writes of card counts, each one transaction.

A count's row is the lock its scans and its close share: a scan that comes while the
count closes waits, then finds it closed (it is refused, never half counted). One open
count per line and per location is held by partial unique constraints, so two planners
starting the same count at once get one count, and the second is told to join it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kanban.codes import PREFIX, card_code, parse_card_code
from kanban.inventory.models import (
    CardCount,
    CountAction,
    CountedCard,
    CountStatus,
    Outcome,
    SeenVia,
    Unexpected,
)
from kanban.inventory.selectors import expected_cards, in_scope
from kanban.locks import lock_card_ids
from kanban.models import CardEvent, CardEventSource, CardStatus, KanbanCard
from kanban.services import card_move
from production.errors import DomainError, NotAllowed, VersionConflict
from production.models import Location, ProductionLine


def lock_count(count_id: int) -> CardCount:
    count = (
        CardCount.objects.select_for_update(of=("self",))
        .select_related("line", "location")
        .filter(pk=count_id)
        .first()
    )
    if count is None:
        raise DomainError(_("There is no card count %(id)s.") % {"id": count_id}, code="not_found")
    return count


def _open_count_of(*, line: ProductionLine | None, location: Location | None) -> CardCount | None:
    counts = CardCount.objects.select_related("started_by", "line", "location").filter(
        status=CountStatus.OPEN
    )
    scoped = counts.filter(line=line) if line is not None else counts.filter(location=location)
    return scoped.first()


def _in_progress(count: CardCount) -> NotAllowed:
    who = count.started_by.get_username() if count.started_by else _("someone")
    error = NotAllowed(
        _(
            "A count of %(scope)s is already in progress (count %(id)s, started by %(who)s): "
            "join it and scan into it, or close it first."
        )
        % {"scope": count.scope_label, "id": count.pk, "who": who},
        field="line" if count.line_id else "location",
        code="count_in_progress",
    )
    error.count_id = count.pk  # type: ignore[attr-defined]
    return error


@transaction.atomic
def card_count_start(
    *,
    line: ProductionLine | None = None,
    location: Location | None = None,
    actor_id: int | None,
) -> CardCount:
    """Start counting the cards of a line or of a location."""
    if (line is None) == (location is None):
        raise DomainError(_("Count either a line or a location."), field="line")
    existing = _open_count_of(line=line, location=location)
    if existing is not None:
        raise _in_progress(existing)
    try:
        with transaction.atomic():
            return CardCount.objects.create(line=line, location=location, started_by_id=actor_id)
    except IntegrityError:
        # Another planner started the same count a moment ago: theirs stands.
        existing = _open_count_of(line=line, location=location)
        if existing is None:
            raise
        raise _in_progress(existing) from None


def _closed(count: CardCount) -> NotAllowed:
    return NotAllowed(
        _("Count %(id)s of %(scope)s is closed: start a new count to count again.")
        % {"id": count.pk, "scope": count.scope_label},
        code="count_closed",
    )


@dataclass
class CountScan:
    row: CountedCard
    card: KanbanCard
    new: bool  # False: the card was already counted
    in_scope: bool

    @property
    def message(self) -> str:
        card = self.card
        name = _("%(sku)s card %(number)s") % {"sku": card.loop.product.sku, "number": card.number}
        if not self.new:
            return _("%(card)s was already counted.") % {"card": name}
        if card.status == CardStatus.RETIRED:
            return _("%(card)s is retired: take it out of circulation.") % {"card": name}
        if not self.in_scope:
            return _(
                "%(card)s belongs elsewhere (line %(line)s, location %(location)s): "
                "it is listed as unexpected."
            ) % {
                "card": name,
                "line": card.loop.product.line.code if card.loop.product.line else "-",
                "location": card.loop.location.code,
            }
        return _("%(card)s counted.") % {"card": name}


@transaction.atomic
def card_count_scan(*, count_id: int, code: str, actor_id: int | None) -> CountScan:
    """Record one scanned card in an open count. A second scan of it changes nothing."""
    card_id, checked = parse_card_code(code)
    card = (
        KanbanCard.objects.select_related("loop__product__line", "loop__location")
        .filter(pk=card_id)
        .first()
    )
    if card is None:
        raise DomainError(
            _("No card has the code %(code)s.") % {"code": f"{PREFIX}{card_id}"},
            field="code",
            code="not_found",
        )
    count = lock_count(count_id)
    if not count.is_open:
        raise _closed(count)
    row, new = CountedCard.objects.get_or_create(
        count=count,
        card=card,
        defaults={
            "outcome": Outcome.SEEN,
            "via": SeenVia.SCAN,
            "old_label": not checked,
            "seen_at": timezone.now(),
            "seen_by_id": actor_id,
        },
    )
    return CountScan(row=row, card=card, new=new, in_scope=in_scope(count, card))


@transaction.atomic
def card_count_tick(*, count_id: int, card_ids: list[int], actor_id: int | None) -> int:
    """Record cards ticked on the count's list as seen; returns how many were new."""
    if not card_ids:
        raise DomainError(_("Tick at least one card."), field="cards")
    count = lock_count(count_id)
    if not count.is_open:
        raise _closed(count)
    wanted = set(card_ids)
    expected = set(expected_cards(count).filter(pk__in=wanted).values_list("pk", flat=True))
    if wanted - expected:
        raise DomainError(
            _("Cards %(ids)s are not cards of %(scope)s: scan them instead.")
            % {
                "ids": ", ".join(str(i) for i in sorted(wanted - expected)),
                "scope": count.scope_label,
            },
            field="cards",
        )
    already = set(
        CountedCard.objects.filter(count=count, card_id__in=wanted).values_list(
            "card_id", flat=True
        )
    )
    now = timezone.now()
    CountedCard.objects.bulk_create(
        CountedCard(
            count=count,
            card_id=card_id,
            outcome=Outcome.SEEN,
            via=SeenVia.TICK,
            seen_at=now,
            seen_by_id=actor_id,
        )
        for card_id in sorted(wanted - already)
    )
    return len(wanted - already)


@transaction.atomic
def card_count_close(
    *, count_id: int, actor_id: int | None, expected_version: int | None = None
) -> CardCount:
    """Close the count: every card seen is found or unexpected, every expected card not
    seen is missing. Set-based: a few statements whatever the count's size."""
    count = lock_count(count_id)
    if not count.is_open:
        raise _closed(count)
    if expected_version is not None and expected_version != count.version:
        raise VersionConflict(
            _("Count %(id)s was changed by someone else since you read it.") % {"id": count.pk},
            current_version=count.version,
        )
    expected = expected_cards(count).values("pk")
    rows = CountedCard.objects.filter(count=count, outcome=Outcome.SEEN)
    rows.filter(card_id__in=expected).update(outcome=Outcome.FOUND)
    rows.filter(card__status=CardStatus.RETIRED).update(
        outcome=Outcome.UNEXPECTED, unexpected=Unexpected.RETIRED
    )
    rows.update(outcome=Outcome.UNEXPECTED, unexpected=Unexpected.ELSEWHERE)
    counted = CountedCard.objects.filter(count=count).values("card_id")
    CountedCard.objects.bulk_create(
        CountedCard(count=count, card_id=card_id, outcome=Outcome.MISSING)
        for card_id in expected_cards(count)
        .exclude(pk__in=counted)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    tally = _tally(count)
    count.found_count = tally["found"]
    count.missing_count = tally["missing"]
    count.unexpected_count = tally["unexpected"]
    count.expected_count = tally["found"] + tally["missing"]
    count.status = CountStatus.CLOSED
    count.closed_by_id = actor_id
    count.closed_at = timezone.now()
    count.version += 1
    count.save()
    return count


def _tally(count: CardCount) -> dict[str, int]:
    return CountedCard.objects.filter(count=count).aggregate(
        found=Count("pk", filter=Q(outcome=Outcome.FOUND)),
        missing=Count("pk", filter=Q(outcome=Outcome.MISSING)),
        unexpected=Count("pk", filter=Q(outcome=Outcome.UNEXPECTED)),
    )


def _missing_row(count_id: int, card_id: int) -> CountedCard:
    """The missing card's row of a closed count, locked: one reprint or retire wins."""
    row = (
        CountedCard.objects.select_for_update(of=("self",))
        .select_related("count__line", "count__location", "card__loop__product")
        .filter(count_id=count_id, card_id=card_id)
        .first()
    )
    if row is None or row.outcome != Outcome.MISSING:
        raise DomainError(
            _("Card %(id)s is not missing in count %(count)s.")
            % {"id": card_id, "count": count_id},
            field="card",
            code="not_found",
        )
    if row.action:
        raise NotAllowed(
            _("%(code)s was already %(action)s after this count.")
            % {"code": card_code(card_id), "action": str(row.get_action_display()).lower()},
            field="card",
            code="already_done",
        )
    return row


def _done(row: CountedCard, action: str, actor_id: int | None) -> CountedCard:
    row.action = action
    row.acted_at = timezone.now()
    row.acted_by_id = actor_id
    row.save(update_fields=["action", "acted_at", "acted_by"])
    return row


@transaction.atomic
def card_count_reprint(*, count_id: int, card_id: int, actor_id: int | None) -> CountedCard:
    """A missing card gets a new label: the same card (id, number, code), a new print."""
    row = _missing_row(count_id, card_id)
    card = lock_card_ids([card_id]).get()
    if card.status == CardStatus.RETIRED:
        raise NotAllowed(
            _("%(code)s was retired since the count: it is not reprinted.")
            % {"code": card_code(card_id)},
            field="card",
            code="retired",
        )
    CardEvent.objects.create(
        card=card,
        from_status=card.status,
        to_status=card.status,
        reason=f"label reprinted: missing in card count {count_id}",
        source=CardEventSource.PLANNER,
        actor_id=actor_id,
    )
    return _done(row, CountAction.REPRINTED, actor_id)


@transaction.atomic
def card_count_retire(*, count_id: int, card_id: int, actor_id: int | None) -> CountedCard:
    """A missing card is retired through the card cycle: a full one takes its container's
    stock out by a ledger move, an empty one cancels its order (`card_move`)."""
    row = _missing_row(count_id, card_id)
    card_move(
        card_id=card_id,
        to=CardStatus.RETIRED,
        actor_id=actor_id,
        source=CardEventSource.PLANNER,
        reason=f"missing in card count {count_id}",
    )
    return _done(row, CountAction.RETIRED, actor_id)
