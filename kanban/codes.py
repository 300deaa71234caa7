"""The card code: what a printed card's QR code and barcode say, and reading it back.

Format: ``PB-CARD:<card id>-<check digit>``, e.g. ``PB-CARD:123-4``. The check digit is
Damm's (one digit, 0 to 9): it catches every single mistyped digit and every swap of two
neighbouring digits, so a mistyped code is refused instead of matched to another card.

Labels printed before the check digit say ``PB-CARD:<id>``. They are read while
``PULLBOARD_ACCEPT_UNCHECKED_CARD_CODES`` is on (the default, so a plant's cards keep
working); once every card carries a new label (a card count lists the old ones), turn
it off and such codes are refused. Scanners typing on a keyboard layout other than the
label's can turn the ``-`` and ``:`` into other characters, so any one non-alphanumeric
character is read as a separator.
"""

from __future__ import annotations

import base64
import io
import re

from django.conf import settings
from django.utils.translation import gettext as _

from production.errors import DomainError

PREFIX = "PB-CARD:"

# Damm's quasigroup of order 10 (H. M. Damm, 2004): the table every implementation uses.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

_CODE = re.compile(
    r"^\s*PB[^A-Za-z0-9]?CARD[^A-Za-z0-9]?([0-9]{1,12})(?:[^A-Za-z0-9\s]([0-9]))?\s*$",
    re.IGNORECASE,
)


def check_digit(number: int) -> int:
    """Damm's check digit of a whole number."""
    interim = 0
    for digit in str(number):
        interim = _DAMM[interim][int(digit)]
    return interim


def card_code(card_id: int) -> str:
    """What a printed card says (QR code, barcode and in plain text)."""
    return f"{PREFIX}{card_id}-{check_digit(card_id)}"


def accept_unchecked_codes() -> bool:
    return bool(settings.PULLBOARD.get("ACCEPT_UNCHECKED_CARD_CODES", True))


def parse_card_code(code: str) -> tuple[int, bool]:
    """(card id, whether the code had a check digit), or a DomainError naming `code`."""
    match = _CODE.match(code)
    if match is None:
        shown = code.strip()[:40] or "nothing"
        raise DomainError(
            _("%(code)s is not a Pullboard card code (they look like %(example)s).")
            % {"code": repr(shown), "example": card_code(123)},
            field="code",
            code="unknown_code",
        )
    card_id = int(match.group(1))
    if match.group(2) is None:
        if not accept_unchecked_codes():
            raise DomainError(
                _(
                    "%(code)s has no check digit: it is an old label. Codes now end in a "
                    "check digit (%(example)s); reprint this card's label."
                )
                % {"code": f"{PREFIX}{card_id}", "example": card_code(card_id)},
                field="code",
                code="no_check_digit",
            )
        return card_id, False
    if int(match.group(2)) != check_digit(card_id):
        raise DomainError(
            _(
                "%(code)s has a wrong check digit: a digit was mistyped or misread. "
                "Scan the label again or type the code as printed."
            )
            % {"code": f"{PREFIX}{card_id}-{match.group(2)}"},
            field="code",
            code="bad_check_digit",
        )
    return card_id, True


def code128_svg_data_uri(text: str) -> str:
    """A Code 128 barcode of `text` as an SVG data URI (python-barcode), for laser scanners."""
    from barcode import Code128
    from barcode.writer import SVGWriter

    out = io.BytesIO()
    Code128(text, writer=SVGWriter()).write(
        out,
        options={"module_width": 0.3, "module_height": 12, "quiet_zone": 4, "write_text": False},
    )
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")
