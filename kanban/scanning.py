"""Scanning a printed card: the shop floor's quickest way to signal and to move cards.

A scan means "this container is empty" for a card that is full or in use (the pull
signal), and "next step" for one that is empty (start making) or in process
(finished, full). A repeat scan of the same card within a short window does nothing:
scanners and people double-scan, and a second scan must not move the card twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from kanban.models import CardEventSource, CardStatus, KanbanCard
from kanban.services import card_move
from production.errors import DomainError, NotAllowed

C = CardStatus
SCAN_NEXT: dict[str, str] = {
    C.FULL: C.EMPTY,
    C.IN_USE: C.EMPTY,
    C.EMPTY: C.IN_PROCESS,
    C.IN_PROCESS: C.FULL,
}
# "PB-CARD:123". Scanners typing on a keyboard layout other than the label's can turn
# the "-" and ":" into other characters, so anything between the letters and the id goes.
_CODE = re.compile(r"^\s*PB[^A-Za-z0-9]?CARD[^A-Za-z0-9]?([0-9]{1,12})\s*$", re.IGNORECASE)


def repeat_window_seconds() -> int:
    return int(settings.PULLBOARD.get("SCAN_REPEAT_WINDOW_SECONDS", 10))


def parse_scan_code(code: str) -> int:
    """The card id a scanned code names, or a DomainError that says what was read."""
    match = _CODE.match(code)
    if match is None:
        shown = code.strip()[:40] or "nothing"
        raise DomainError(
            f"{shown!r} is not a Pullboard card code (they look like PB-CARD:123).",
            field="code",
            code="unknown_code",
        )
    return int(match.group(1))


@dataclass
class ScanResult:
    card: KanbanCard
    from_status: str
    repeated: bool

    @property
    def from_label(self) -> str:
        return str(C(self.from_status).label)


def card_scan(*, code: str, actor_id: int | None) -> ScanResult:
    """Apply one scan. Each move is one `card_move` transaction; the guard is the cache.

    The guard is taken before the move (`cache.add` is atomic, so two scans at once
    cannot both pass) and given back when the move is refused, so a corrected
    situation can be rescanned at once.
    """
    card_id = parse_scan_code(code)
    card = KanbanCard.objects.select_related("loop__product").filter(pk=card_id).first()
    if card is None:
        raise DomainError(f"No card has the code PB-CARD:{card_id}.", code="not_found")
    guard = f"pullboard:scan:{card_id}"
    if not cache.add(guard, card.status, timeout=repeat_window_seconds()):
        return ScanResult(card=card, from_status=card.status, repeated=True)
    to = SCAN_NEXT.get(card.status)
    try:
        if to is None:
            raise NotAllowed(
                f"Card {card.loop.product.sku} #{card.number} is retired: take it out of "
                "circulation.",
                code="retired",
            )
        moved = card_move(
            card_id=card_id,
            to=to,
            actor_id=actor_id,
            source=CardEventSource.SCAN,
            reason="scanned",
            expected_version=card.version,
        )
    except DomainError:
        cache.delete(guard)
        raise
    return ScanResult(card=moved, from_status=card.status, repeated=False)
