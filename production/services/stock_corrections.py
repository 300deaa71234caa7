"""Stock corrections: a physical count, scrap, and a receipt without an order.

Each goes through the ledger (`production.services.stock`) in one transaction, with
who (`created_by`) and why (the move's note: the kind, then the reason). The level is
read under its row lock, so a count racing a consumption sets what was counted,
whatever was consumed just before it, and stock never goes negative.

What a correction does to a pull loop's cards (they hold what is on hand):
- stock that leaves (a count below the level, scrap) drains the loop's containers,
  the one in use first, as consumption does; a container that empties signals;
- stock that arrives (a count above the level, a receipt) is loose stock beyond the
  cards: the reconciler reports it, no card turns full by itself (a planner adds a card
  or lets demand use it up).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext

from production.errors import DomainError
from production.models import Location, MoveKind, Product, StockLevel, StockMove
from production.services.locations import ensure_active_location, ensure_active_product
from production.services.stock import ensure_stock_levels, stock_adjust, stock_receive


class CorrectionKind:
    COUNT = "count"
    SCRAP = "scrap"
    RECEIPT = "receipt"
    ALL = (COUNT, SCRAP, RECEIPT)


@dataclass(frozen=True)
class Correction:
    kind: str
    level: StockLevel
    before: Decimal
    delta: Decimal
    move: StockMove | None


def _note(kind: str, reason: str) -> str:
    return f"{kind}: {reason.strip()}"[:200]


@transaction.atomic
def stock_correct(
    *,
    product: Product,
    location: Location,
    kind: str,
    reason: str,
    counted: Decimal | None = None,
    quantity: Decimal | None = None,
    actor_id: int | None,
) -> Correction:
    """Apply one correction. `count` takes `counted` (what is really there, 0 or more);
    `scrap` and `receipt` take `quantity` (more than 0). A count equal to the level books
    no move."""
    if kind not in CorrectionKind.ALL:
        raise DomainError(
            gettext("Unknown kind %(kind)r; use count, scrap or receipt.") % {"kind": kind},
            field="kind",
        )
    if not reason.strip():
        raise DomainError(gettext("Say why the stock is corrected."), field="reason")
    if kind == CorrectionKind.COUNT:
        if counted is None:
            raise DomainError(gettext("A count needs `counted`."), field="counted")
        if Decimal(counted) < 0:
            raise DomainError(gettext("A count cannot be below zero."), field="counted")
    else:
        if quantity is None:
            raise DomainError(gettext("Give `quantity`."), field="quantity")
        if Decimal(quantity) <= 0:
            raise DomainError(gettext("Quantity must be greater than zero."), field="quantity")
    if kind == CorrectionKind.RECEIPT:
        ensure_active_product(product)
        ensure_active_location(location, "location")
    level = ensure_stock_levels([(product.pk, location.pk)])[(product.pk, location.pk)]
    before = level.on_hand
    if kind == CorrectionKind.COUNT:
        delta = Decimal(counted) - before  # type: ignore[arg-type]
    elif kind == CorrectionKind.SCRAP:
        delta = -Decimal(quantity)  # type: ignore[arg-type]
        if before + delta < 0:
            raise DomainError(
                gettext("Only %(on_hand)s %(unit)s of %(sku)s are at %(code)s: cannot scrap more.")
                % {
                    "on_hand": before,
                    "unit": product.unit,
                    "sku": product.sku,
                    "code": location.code,
                },
                field="quantity",
            )
    else:
        delta = Decimal(quantity)  # type: ignore[arg-type]
    if delta == 0:
        return Correction(kind, level, before, delta, None)
    if kind == CorrectionKind.RECEIPT:
        level = stock_receive(
            product=product,
            location=location,
            quantity=delta,
            kind=MoveKind.RECEIPT,
            actor_id=actor_id,
            note=_note(kind, reason),
        )
    else:
        level = stock_adjust(
            product=product,
            location=location,
            delta=delta,
            reason=_note(kind, reason),
            actor_id=actor_id,
        )
    # The level is still locked: the newest move of this kind here is the one just booked.
    booked = MoveKind.RECEIPT if kind == CorrectionKind.RECEIPT else MoveKind.ADJUSTMENT
    move = (
        StockMove.objects.filter(
            product=product, location=location, kind=booked, note=_note(kind, reason)
        )
        .order_by("-id")
        .first()
    )
    return Correction(kind, level, before, delta, move)
