"""The markup of the board's cards, written in Python: the board's hot loop.

A line's board can hold thousands of cards and is re-rendered on every live hint.
Through the template engine each card costs some thirty variable lookups; here it is
one f-string, several times faster. Everything that comes from data is escaped.
The rest of the board (columns, swimlanes) stays in templates/kanban/_columns.html.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

ONE_TIME = _("One-time card: made once, then retired")
LATE = _("Late: past its due time")

if TYPE_CHECKING:
    from kanban.selectors.board import BoardCard, BoardCell


def _moves_html(card: BoardCard) -> str:
    return "".join(
        f'<button type="button" class="move move-{move.to}" id="move-{card.id}-{move.to}" '
        f'hx-post="{card.move_url}" hx-vals=\'{{"to": "{move.to}", "version": "{card.version}"}}\' '
        f'hx-disabled-elt="this">{escape(move.label)} <span aria-hidden="true">&rarr;</span> '
        f'<span class="move-to">{escape(move.column)}</span></button>'
        for move in card.moves
    )


def card_html(card: BoardCard, sku: str) -> str:
    if card.supply:
        order = escape(card.supply)
    elif card.work_order_id:
        order = f"WO-{card.work_order_id} · {escape(card.work_order_status)}"
    else:
        order = escape(str(_("No work order")))
    late = f'<p class="card-late">{escape(str(LATE))}</p>' if card.late else ""
    moves = _moves_html(card)
    movable = " can-move" if moves else ""
    held = " on-hold" if card.hold else ""
    held += " late" if card.late else ""
    hold = f'<p class="card-hold">{escape(card.hold)}</p>' if card.hold else ""
    once = f'<p class="card-once">{escape(str(ONE_TIME))}</p>' if card.one_time else ""
    actions = f'<div class="card-moves">{moves}</div>' if moves else ""
    return (
        f'<li class="card status-{card.status} urgency-{card.urgency}{movable}{held}" id="card-{card.id}" '
        f'tabindex="0" data-card="{card.id}" data-version="{card.version}" '
        f'data-allowed="{card.allowed}" data-move-url="{card.move_url}" '
        f'aria-labelledby="card-{card.id}-title" aria-describedby="card-{card.id}-facts">'
        f'<p class="card-title" id="card-{card.id}-title"><span class="card-sku">{sku}</span> '
        f'<a class="card-no" href="{card.detail_url}">#{card.number}<span class="of"> {escape(_("of %(size)s") % {"size": card.loop_size})}</span></a></p>'
        f'<div class="card-facts" id="card-{card.id}-facts">{late}{hold}{once}'
        f'<p class="card-loop">{escape(_("Loop @ %(location)s") % {"location": card.location})}</p>'
        f'<p class="card-wo">{order}</p>'
        f'<p class="card-age">{escape(card.age_phrase)} <time datetime="{card.since_iso}" data-since>'
        f"{card.age}</time></p></div>{actions}</li>"
    )


def cards_html(cell: BoardCell) -> SafeString:
    sku = escape(cell.sku)
    # Safe: every value from data went through escape() above; the rest is ours.
    return mark_safe("".join(card_html(card, sku) for card in cell.cards))
