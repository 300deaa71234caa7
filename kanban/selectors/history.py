"""A card's whole history for its own page: every move and hold, who, when, from, to, why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from kanban.models import CardEvent, CardStatus, HoldAction, HoldEvent, HoldReason, KanbanCard

HISTORY_LIMIT = 200  # the newest; a card cycles a few times a day


@dataclass
class HistoryEntry:
    at: datetime
    who: str
    what: str
    from_label: str
    to_label: str
    why: str
    source: str
    override: bool
    work_order_id: int | None


@dataclass
class CardHistory:
    card: KanbanCard
    entries: list[HistoryEntry]


def _who(user: object | None) -> str:
    return user.get_username() if user is not None else _("system")  # type: ignore[attr-defined]


def card_history(card_id: int) -> CardHistory | None:
    """Three queries: the card with its loop, its moves, its and its loop's holds."""
    card = (
        KanbanCard.objects.select_related(
            "loop__product__line", "loop__location", "work_order", "held_by", "loop__held_by"
        )
        .filter(pk=card_id)
        .first()
    )
    if card is None:
        return None
    labels = dict(CardStatus.choices)
    moves = [
        HistoryEntry(
            at=event.created_at,
            who=_who(event.actor),
            what=_("Move"),
            from_label=str(labels.get(event.from_status, "")),
            to_label=str(labels.get(event.to_status, "")),
            why=event.reason,
            source=event.get_source_display(),
            override=event.wip_override,
            work_order_id=event.work_order_id,
        )
        for event in CardEvent.objects.filter(card=card)
        .select_related("actor")
        .order_by("-created_at", "-id")[:HISTORY_LIMIT]
    ]
    reasons = dict(HoldReason.choices)
    holds = [
        HistoryEntry(
            at=event.created_at,
            who=_who(event.actor),
            what=(
                (_("Card put on hold") if event.card_id else _("Loop put on hold"))
                if event.action == HoldAction.HOLD
                else (_("Card released") if event.card_id else _("Loop released"))
            ),
            from_label="",
            to_label="",
            why=" · ".join(
                str(part) for part in (reasons.get(event.reason, ""), event.note) if part
            ),
            source="",
            override=False,
            work_order_id=None,
        )
        for event in HoldEvent.objects.filter(loop_id=card.loop_id)
        .filter(Q(card=card) | Q(card__isnull=True))
        .select_related("actor")
        .order_by("-created_at", "-id")[:HISTORY_LIMIT]
    ]
    entries = sorted(moves + holds, key=lambda entry: entry.at, reverse=True)[:HISTORY_LIMIT]
    return CardHistory(card, entries)
