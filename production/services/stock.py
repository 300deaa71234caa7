"""The stock ledger: receipts, consumption, adjustments, and backorders filled on arrival.

Every change writes a ledger move and moves the level by the same amount in one
transaction, so the level is always the ledger's sum and never goes negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from production import live
from production.bulk import bulk_insert_rows, bulk_update_rows
from production.errors import DomainError
from production.locks import lock_stock_levels_of
from production.models import (
    DemandEvent,
    DemandStatus,
    Location,
    MoveKind,
    Product,
    StockLevel,
    StockMove,
)
from production.policies import Consumption, policy_for
from production.webhooks.events import emit_stock_below_minimum

ZERO = Decimal("0")


def ensure_stock_levels(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], StockLevel]:
    """Lock the levels of (product_id, location_id) pairs, creating missing ones at zero.

    One locking query when the levels exist (the usual case); a missing one is
    created first and the lot locked again.
    """
    wanted = set(pairs)
    locked = _lock_levels_of(wanted)
    if len(locked) < len(wanted):
        StockLevel.objects.bulk_create(
            [StockLevel(product_id=p, location_id=loc) for p, loc in sorted(wanted - set(locked))],
            ignore_conflicts=True,
        )
        locked = _lock_levels_of(wanted)
    return locked


def _lock_levels_of(wanted: set[tuple[int, int]]) -> dict[tuple[int, int], StockLevel]:
    return {(lvl.product_id, lvl.location_id): lvl for lvl in lock_stock_levels_of(wanted)}


@dataclass
class LedgerBatch:
    """Moves and consumptions gathered in memory, written in bulk at the end."""

    moves: list[StockMove] = field(default_factory=list)
    consumptions: list[Consumption] = field(default_factory=list)
    levels: dict[tuple[int, int], StockLevel] = field(default_factory=dict)

    def consume(
        self,
        level: StockLevel,
        quantity: Decimal,
        *,
        demand_event_id: int | None = None,
        work_order_id: int | None = None,
        actor_id: int | None = None,
        note: str = "",
        notify: bool = True,
    ) -> Decimal:
        """Take up to `quantity` from a locked level; returns what could not be covered.

        `notify=False` is for a caller that has already moved the containers itself.
        """
        taken = min(level.on_hand, quantity)
        if taken > 0:
            level.on_hand -= taken
            self.levels[(level.product_id, level.location_id)] = level
            self.moves.append(
                StockMove(
                    product_id=level.product_id,
                    location_id=level.location_id,
                    kind=MoveKind.CONSUMPTION,
                    quantity=-taken,
                    demand_event_id=demand_event_id,
                    work_order_id=work_order_id,
                    created_by_id=actor_id,
                    note=note,
                )
            )
            if notify:
                self.consumptions.append(
                    Consumption(
                        level.product_id, level.location_id, taken, demand_event_id, work_order_id
                    )
                )
        return quantity - taken

    def add(
        self,
        level: StockLevel,
        quantity: Decimal,
        *,
        kind: str,
        work_order_id: int | None = None,
        actor_id: int | None = None,
        note: str = "",
    ) -> None:
        level.on_hand += quantity
        self.levels[(level.product_id, level.location_id)] = level
        self.moves.append(
            StockMove(
                product_id=level.product_id,
                location_id=level.location_id,
                kind=kind,
                quantity=quantity,
                work_order_id=work_order_id,
                created_by_id=actor_id,
                note=note,
            )
        )

    def write(self, *, actor_id: int | None = None) -> None:
        """Write moves and levels, then let each line's policy react to the consumption.

        The lines' modes are read here, after the caller locked the levels: a mode switch
        locks them too, so this sees the mode it committed.
        """
        bulk_insert_rows(self.moves)
        now = timezone.now()
        for level in self.levels.values():
            level.updated_at = now
        bulk_update_rows(list(self.levels.values()), ["on_hand", "updated_at"])
        lines = {
            pk: (line_id, mode)
            for pk, line_id, mode in Product.objects.filter(
                pk__in={p for p, _ in self.levels}
            ).values_list("pk", "line_id", "line__mode")
        }
        if self.consumptions:
            # A purchased product (no line) is replenished by its loops: the pull policy.
            modes = {pk: mode or "pull" for pk, (_, mode) in lines.items()}
            notify_policies(self.consumptions, modes=modes, actor_id=actor_id)
        live.notify_lines_changed(line_id for line_id, _ in lines.values() if line_id)
        emit_stock_below_minimum(self.levels.values(), self.moves)


def notify_policies(
    consumptions: Sequence[Consumption], *, modes: dict[int, str], actor_id: int | None
) -> None:
    """Hand each consumption to the policy of its product's line (`modes`: product -> mode)."""
    by_mode: dict[str, list[Consumption]] = {}
    for consumption in consumptions:
        by_mode.setdefault(modes[consumption.product_id], []).append(consumption)
    for mode, items in by_mode.items():
        policy_for(mode).stock_consumed(items, actor_id=actor_id)


def fill_backorders(batch: LedgerBatch, *levels: StockLevel) -> None:
    """Serve open backorders of each level's product at its location, oldest first, from
    what it holds now (demand that names no location waits at the product's supermarket).
    The backorders of every level are read and locked in one query."""
    stocked = {(lvl.product_id, lvl.location_id): lvl for lvl in levels if lvl.on_hand > 0}
    if not stocked:
        return
    places = {location for _, location in stocked}
    waiting = (
        DemandEvent.objects.select_for_update(of=("self",))
        .filter(product_id__in={product for product, _ in stocked}, open_backorder_quantity__gt=0)
        .filter(
            Q(location_id__in=places) | Q(location__isnull=True, product__supermarket_id__in=places)
        )
        .annotate(waits_at=Coalesce("location_id", "product__supermarket_id"))
        .order_by("created_at", "pk")
    )
    filled: list[DemandEvent] = []
    for event in waiting:
        level = stocked.get((event.product_id, event.waits_at))
        if level is None or level.on_hand <= 0:
            continue
        short = batch.consume(
            level, event.open_backorder_quantity, demand_event_id=event.pk, note="backorder filled"
        )
        event.open_backorder_quantity = short
        if short == 0:
            event.status = DemandStatus.FULFILLED
        filled.append(event)
    bulk_update_rows(filled, ["open_backorder_quantity", "status"])


def _positive(quantity: Decimal, name: str = "quantity") -> Decimal:
    quantity = Decimal(quantity)
    if quantity <= 0:
        raise DomainError(f"{name.capitalize()} must be greater than zero.", field=name)
    return quantity


@transaction.atomic
def stock_receive(
    *,
    product: Product,
    location: Location,
    quantity: Decimal,
    kind: str = MoveKind.RECEIPT,
    work_order_id: int | None = None,
    actor_id: int | None = None,
    note: str = "",
) -> StockLevel:
    """Put stock in; open backorders of the product are served first, oldest first."""
    quantity = _positive(quantity)
    level = ensure_stock_levels([(product.pk, location.pk)])[(product.pk, location.pk)]
    batch = LedgerBatch()
    batch.add(level, quantity, kind=kind, work_order_id=work_order_id, actor_id=actor_id, note=note)
    fill_backorders(batch, level)
    batch.write(actor_id=actor_id)
    return level


@transaction.atomic
def stock_consume(
    *,
    product: Product,
    location: Location,
    quantity: Decimal,
    work_order_id: int | None = None,
    actor_id: int | None = None,
    note: str = "",
) -> Decimal:
    """Take stock out; returns the part that was not there (nothing goes negative)."""
    quantity = _positive(quantity)
    level = ensure_stock_levels([(product.pk, location.pk)])[(product.pk, location.pk)]
    batch = LedgerBatch()
    short = batch.consume(
        level, quantity, work_order_id=work_order_id, actor_id=actor_id, note=note
    )
    batch.write(actor_id=actor_id)
    return short


@transaction.atomic
def stock_adjust(
    *, product: Product, location: Location, delta: Decimal, reason: str, actor_id: int | None
) -> StockLevel:
    """A counted correction. A reason is required; the level may not go below zero."""
    delta = Decimal(delta)
    if delta == 0:
        raise DomainError("An adjustment must change the stock.", field="delta")
    if not reason.strip():
        raise DomainError("Say why the stock is adjusted.", field="reason")
    level = ensure_stock_levels([(product.pk, location.pk)])[(product.pk, location.pk)]
    if level.on_hand + delta < 0:
        raise DomainError(
            f"Only {level.on_hand} {product.unit} of {product.sku} are at {location.code}; "
            f"cannot take out {-delta}.",
            field="delta",
        )
    batch = LedgerBatch()
    batch.add(level, delta, kind=MoveKind.ADJUSTMENT, actor_id=actor_id, note=reason[:200])
    if delta < 0:
        # Stock that left by a count left some container too: the pull policy follows it.
        batch.consumptions.append(Consumption(product.pk, location.pk, -delta))
    else:
        fill_backorders(batch, level)
    batch.write(actor_id=actor_id)
    return level


def ledger_sum(product_id: int, location_id: int) -> Decimal:
    from django.db.models import Sum

    total = StockMove.objects.filter(product_id=product_id, location_id=location_id).aggregate(
        total=Sum("quantity")
    )["total"]
    return total or ZERO
