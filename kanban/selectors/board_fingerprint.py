"""The board's fingerprint: one hash of everything a line's board shows, computed from one
aggregate query (`board.board_etag`) or from the card rows the board already read; the two
agree (tests/board). A new markup of the cards bumps `BOARD_MARKUP_VERSION`."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

from kanban.selectors.board_supply import SUPPLY_FIELDS, supply_fingerprint
from production.models import ProductionLine

BOARD_MARKUP_VERSION = "9"


def fingerprint(
    line: ProductionLine, orders: str | None, loops: tuple[tuple[Any, ...], ...]
) -> str:
    raw = "|".join(
        str(part)
        for part in (
            BOARD_MARKUP_VERSION,
            line.pk,
            line.code,
            line.mode,
            line.wip_limit,
            line.name,
            orders,
            *(value for loop in loops for value in loop),  # str(1) == str(Decimal(1))
        )
    )
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def fingerprint_of_rows(
    line: ProductionLine, orders: str | None, rows: list[tuple[Any, ...]]
) -> str:
    """`board_etag`'s fingerprint from the board's card rows (`board._CARD_FIELDS`, the
    card's own columns then `SUPPLY_FIELDS`)."""
    by_loop: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        by_loop[row[5]].append(row)
    loops = tuple(
        (
            loop_id,
            cards[0][7],
            cards[0][8],
            cards[0][9],
            len(cards),
            sum(row[3] for row in cards),
            sum(row[10] or 0 for row in cards),
            sum(row[12] or 0 for row in cards),
            max(row[4] for row in cards),
            *supply_fingerprint(cards, len(cards[0]) - len(SUPPLY_FIELDS)),
        )
        for loop_id, cards in sorted(by_loop.items())
    )
    return fingerprint(line, orders, loops)
