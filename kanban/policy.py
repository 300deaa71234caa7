"""The pull policy: consumption empties containers, an empty container is a signal."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kanban.locks import lock_next_containers
from kanban.models import CardEvent, CardEventSource, CardStatus, KanbanCard, KanbanLoop
from production.bulk import bulk_insert_rows, bulk_update_rows
from production.policies import Consumption, SupplyLoop
from production.webhooks.events import emit_cards_signalled

RESYNC_CHUNK = 500  # loops per reconciling transaction: short locks, few queries
# Cards whose signals are not held (the card's own hold, or its loop's mirrored on it).
NOT_HELD = {"hold_reason": "", "loop_held": False}
ONE_TIME_RETIRED = "one-time card used up: retired"
# What the engine reads with a loop: its product and line, places and supplier.
LOOP_RELATED = ("product__line", "location", "supplier", "source_location")


class PullPolicy:
    def stock_consumed(self, consumptions: Sequence[Consumption], *, actor_id: int | None) -> None:
        wanted: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        for consumption in consumptions:
            wanted[(consumption.product_id, consumption.location_id)] += consumption.quantity
        loops = {
            (loop.product_id, loop.location_id): loop
            for loop in KanbanLoop.objects.select_related(*LOOP_RELATED).filter(
                product_id__in={p for p, _ in wanted},
                location_id__in={loc for _, loc in wanted},
                archived_at__isnull=True,
            )
        }
        loops = {key: loop for key, loop in loops.items() if key in wanted}
        if loops:
            drain_containers(
                {loops[key]: qty for key, qty in wanted.items() if key in loops}, actor_id=actor_id
            )

    def mode_entered(self, *, line_id: int, actor_id: int | None) -> None:
        from kanban.services import loops_resync

        loops_resync(KanbanLoop.objects.filter(product__line_id=line_id), actor_id=actor_id)

    def active_cards_per_product(self, *, line_ids: Collection[int]) -> dict[int, int]:
        from kanban.selectors.loops import active_cards_per_product

        return active_cards_per_product(line_ids=line_ids)

    def cards_by_status(self, *, line_id: int, now: datetime) -> list[dict[str, Any]]:
        from kanban.selectors.loops import cards_by_status_with_age

        return cards_by_status_with_age(line_id=line_id, now=now)

    def supply_loops(self, *, product_ids: Collection[int]) -> list[SupplyLoop]:
        from kanban.selectors.loops import supply_loops

        return supply_loops(product_ids=product_ids)

    def reconcile(self) -> list[str]:
        """Cards against stock: one query finds the pull loops that disagree, which are
        then resynchronised a chunk of loops per transaction (see `loops_resync`)."""
        from django.db import transaction

        from kanban.services import loops_out_of_sync, loops_resync

        findings: list[str] = []
        loop_ids = loops_out_of_sync()
        for start in range(0, len(loop_ids), RESYNC_CHUNK):
            with transaction.atomic():
                findings += loops_resync(
                    KanbanLoop.objects.filter(pk__in=loop_ids[start : start + RESYNC_CHUNK]),
                    actor_id=None,
                )
        return findings


def drain_containers(
    wanted: dict[KanbanLoop, Decimal], *, actor_id: int | None, reason: str = "consumed"
) -> list[KanbanCard]:
    """Take quantities out of each loop's containers: the one in use first, then full ones.

    A container that reaches zero turns its card empty, which raises a pull signal.
    Returns the cards that were signalled. The caller holds the loops' stock levels.
    """
    holding = defaultdict(list)
    for card in lock_next_containers(wanted):
        holding[card.loop_id].append(card)
    now = timezone.now()
    changed: list[KanbanCard] = []
    events: list[CardEvent] = []
    emptied: list[KanbanCard] = []
    for loop, quantity in wanted.items():
        # The open container first, then full ones in the order they were filled.
        queue = sorted(
            holding[loop.pk],
            key=lambda c: (c.status != CardStatus.IN_USE, c.status_changed_at, c.number),
        )
        for card in queue:
            if quantity <= 0:
                break
            if card.status == CardStatus.FULL:
                events.append(_event(card, CardStatus.IN_USE, actor_id, reason))
                card.status = CardStatus.IN_USE
            taken = min(card.remaining_quantity, quantity)
            card.remaining_quantity -= taken
            quantity -= taken
            if card.remaining_quantity == 0 and card.one_time:  # made once: it retires
                events.append(_event(card, CardStatus.RETIRED, actor_id, ONE_TIME_RETIRED))
                events[-1].from_status = CardStatus.IN_USE
                card.status = CardStatus.RETIRED
            elif card.remaining_quantity == 0:
                card.status = CardStatus.EMPTY
                emptied.append(card)
            card.version += 1
            card.status_changed_at = now
            changed.append(card)
    if emptied:
        signal_cards(emptied, actor_id=actor_id, loops={loop.pk: loop for loop in wanted})
        for card in emptied:
            event = _event(card, CardStatus.EMPTY, actor_id, reason)
            event.from_status = CardStatus.IN_USE
            events.append(event)
    bulk_update_rows(
        changed,
        [
            "status",
            "remaining_quantity",
            "version",
            "status_changed_at",
            "work_order",
            "call_off",
            "transfer_order",
        ],
    )
    bulk_insert_rows(events)
    return emptied


def signal_cards(
    cards: Sequence[KanbanCard],
    *,
    actor_id: int | None,
    loops: dict[int, KanbanLoop] | None = None,
) -> None:
    """Raise the pull signal of empty cards: one order of one container each, of the
    loop's source (a planned work order, a call-off or a transfer order).

    Cards of a line in push mode are parked: they turn empty but raise no signal; so
    are cards on hold (their own or their loop's), until they are released. A purchased
    product (no line) is never parked. The caller saves the cards. `loops` (id -> loop
    with its product, line and location, read in this transaction) spares re-reading them.
    """
    from kanban.replenish import has_order, signal_orders

    if loops is None or not {c.loop_id for c in cards} <= loops.keys():
        loops = {
            loop.pk: loop
            for loop in KanbanLoop.objects.select_related(*LOOP_RELATED).filter(
                pk__in={c.loop_id for c in cards}
            )
        }
    signalled = [
        c
        for c in cards
        if not has_order(c)
        and not c.signals_held
        and not loops[c.loop_id].on_hold
        and not loop_parked(loops[c.loop_id])
    ]
    if not signalled:
        return
    signal_orders(signalled, loops, actor_id=actor_id)
    emit_cards_signalled(signalled, {pk: loop.product.sku for pk, loop in loops.items()})


def loop_parked(loop: KanbanLoop) -> bool:
    """A loop of a product whose line runs in push mode raises no signals."""
    line = loop.product.line
    return line is not None and line.mode != "pull"


def _event(card: KanbanCard, to: str, actor_id: int | None, reason: str) -> CardEvent:
    return CardEvent(
        card=card,
        from_status=card.status,
        to_status=to,
        reason=reason,
        source=CardEventSource.ENGINE,
        actor_id=actor_id,
        work_order_id=card.work_order_id,
    )
