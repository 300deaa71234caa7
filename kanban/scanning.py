"""Scanning a printed card: the shop floor's quickest way to signal and to move cards.

A scan means "this container is empty" for a card that is full or in use (the pull
signal), and "next step" for one that is empty (start making) or in process
(finished, full). A repeat scan of the same card within a short window does nothing:
scanners and people double-scan, and a second scan must not move the card twice.

The scan page can also be put in one explicit mode (signal empty, start, finish and
receive): then a scan only ever makes that one move, and a card in another state is
refused, saying what it is, rather than moved on to a step the operator did not mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kanban.codes import PREFIX, parse_card_code
from kanban.models import CardEventSource, CardStatus, KanbanCard
from kanban.services import card_move
from production.errors import DomainError, NotAllowed

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

C = CardStatus
SCAN_NEXT: dict[str, str] = {
    C.FULL: C.EMPTY,
    C.IN_USE: C.EMPTY,
    C.EMPTY: C.IN_PROCESS,
    C.IN_PROCESS: C.FULL,
}


@dataclass(frozen=True)
class ScanMode:
    value: str
    label: StrOrPromise  # the mode's button
    effect: StrOrPromise  # what the next scan will do, shown above the field
    takes: frozenset[str]  # the card statuses this mode moves
    takes_label: StrOrPromise  # the same, in words


NEXT_STEP = "next"
SCAN_MODES: dict[str, ScanMode] = {
    mode.value: mode
    for mode in (
        ScanMode(
            NEXT_STEP,
            gettext_lazy("Next step"),
            gettext_lazy(
                "The next scan moves the card one step on: full or in use to empty, "
                "empty to in process, in process to full."
            ),
            frozenset(SCAN_NEXT),
            gettext_lazy("every active card"),
        ),
        ScanMode(
            "empty",
            gettext_lazy("Signal empty"),
            gettext_lazy(
                "The next scan marks a full or in-use container empty: the signal to make one."
            ),
            frozenset({C.FULL, C.IN_USE}),
            gettext_lazy("full or in-use cards"),
        ),
        ScanMode(
            "start",
            gettext_lazy("Start"),
            gettext_lazy("The next scan starts making an empty card's container (in process)."),
            frozenset({C.EMPTY}),
            gettext_lazy("empty cards"),
        ),
        ScanMode(
            "finish",
            gettext_lazy("Finish and receive"),
            gettext_lazy(
                "The next scan finishes a card in process: its container is received "
                "full in the supermarket."
            ),
            frozenset({C.IN_PROCESS}),
            gettext_lazy("cards in process"),
        ),
    )
}


def repeat_window_seconds() -> int:
    return int(settings.PULLBOARD.get("SCAN_REPEAT_WINDOW_SECONDS", 10))


def parse_scan_code(code: str) -> int:
    """The card id a scanned code names, or a DomainError that says what was read (a
    wrong check digit included: `kanban.codes`)."""
    return parse_card_code(code)[0]


@dataclass
class ScanResult:
    card: KanbanCard
    from_status: str
    repeated: bool

    @property
    def from_label(self) -> str:
        return str(C(self.from_status).label)


def card_scan(
    *, code: str, actor_id: int | None, mode: str = NEXT_STEP, wip_override_reason: str = ""
) -> ScanResult:
    """Apply one scan. Each move is one `card_move` transaction; the guard is the cache.

    The guard is taken before the move (`cache.add` is atomic, so two scans at once
    cannot both pass) and given back when the move is refused, so a corrected
    situation can be rescanned at once (a start refused at the WIP limit, rescanned
    with the override's reason, goes through the line's usual override).
    """
    card_id = parse_scan_code(code)
    scan_mode = SCAN_MODES.get(mode)
    if scan_mode is None:
        raise DomainError(_("Unknown scan mode %(mode)r.") % {"mode": mode}, field="mode")
    card = KanbanCard.objects.select_related("loop__product").filter(pk=card_id).first()
    if card is None:
        raise DomainError(
            _("No card has the code %(code)s.") % {"code": f"{PREFIX}{card_id}"}, code="not_found"
        )
    guard = f"pullboard:scan:{card_id}"
    if not cache.add(guard, card.status, timeout=repeat_window_seconds()):
        return ScanResult(card=card, from_status=card.status, repeated=True)
    to = SCAN_NEXT.get(card.status)
    try:
        if to is None:
            raise NotAllowed(
                _("Card %(sku)s #%(number)s is retired: take it out of circulation.")
                % {"sku": card.loop.product.sku, "number": card.number},
                code="retired",
            )
        if card.status not in scan_mode.takes:
            raise NotAllowed(
                _(
                    "Card %(sku)s #%(number)s is %(status)s: in the mode “%(mode)s” a scan "
                    "takes only %(takes)s. Nothing was changed."
                )
                % {
                    "sku": card.loop.product.sku,
                    "number": card.number,
                    "status": str(C(card.status).label).lower(),
                    "mode": scan_mode.label,
                    "takes": scan_mode.takes_label,
                },
                field="mode",
                code="wrong_mode",
            )
        moved = card_move(
            card_id=card_id,
            to=to,
            actor_id=actor_id,
            source=CardEventSource.SCAN,
            reason="scanned",
            expected_version=card.version,
            wip_override_reason=wip_override_reason,
        )
    except DomainError:
        cache.delete(guard)
        raise
    return ScanResult(card=moved, from_status=card.status, repeated=False)
