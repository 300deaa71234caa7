"""What to do next comes first: a loop's urgency, a lane's rank, how long a card waited,
and why a card on hold waits.

Plain computation over what the board's one query read (no query here).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from kanban.models import CardStatus, HoldReason

if TYPE_CHECKING:
    from kanban.selectors.board import BoardCard, Swimlane

C = CardStatus
URGENCY_RANK = {"critical": 2, "warning": 1, "ok": 0}


def age_text(seconds: float) -> str:
    """How long a card has sat in its column, short enough to read from a metre away.

    board.js keeps the same wording up to date between refreshes.
    """
    minutes = int(seconds // 60)
    if minutes < 1:
        return _("under 1 min")
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    days, hours = divmod(hours, 24)
    return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}


def urgency_of(counts: Counter[str]) -> tuple[str, str]:
    """A loop's urgency from how many of its cards wait to be made.

    Critical when half or more are empty, or nothing is left in the supermarket;
    warning from a quarter; otherwise fine.
    """
    total = sum(counts.values())
    empty = counts[C.EMPTY]
    stocked = counts[C.FULL] + counts[C.IN_USE]
    text = _("%(empty)d of %(total)d to make") % {"empty": empty, "total": total}
    if total and stocked == 0:
        return "critical", _("Urgent: none in stock, %(text)s") % {"text": text}
    if total and empty * 2 >= total:
        return "critical", _("Urgent: %(text)s") % {"text": text}
    if total and empty * 4 >= total:
        return "warning", _("Watch: %(text)s") % {"text": text}
    return "ok", _("OK: %(text)s") % {"text": text}


def lane_rank(lane: Swimlane, cells: dict[str, list[BoardCard]]) -> tuple[Any, ...]:
    """What to do next comes first: lanes with work to make or in process, the worst
    loop state first, then the signal that has waited longest; quiet lanes last."""
    waiting = cells[C.EMPTY] or cells[C.IN_PROCESS]
    oldest = min((card.since for card in waiting), default=None)
    return (
        lane.quiet,
        -URGENCY_RANK[lane.urgency],
        not cells[C.EMPTY],
        oldest.timestamp() if oldest else 0.0,
        lane.sku,
    )


def hold_text(reason: str, note: str, *, loop: bool = False) -> str:
    if not reason:
        return ""
    label = HoldReason(reason).label
    what = _("Loop on hold") if loop else _("On hold")
    return f"{what}: {label}" + (f" ({note})" if note else "")
