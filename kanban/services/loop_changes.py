"""Changing an open loop: its card count, its container quantity, archiving it.

The rule of a changed container quantity: it applies to each card from its next
signal. Full and in-use containers keep what they hold; a card already signalled
(its work order raised) is made and filled with its order's quantity; every order
raised after the change is of the new quantity. So the cards always hold what the
ledger received, and no container is booked twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from kanban.locks import lock_cards
from kanban.models import CardEvent, CardEventSource, CardStatus, KanbanCard, KanbanLoop
from kanban.replenish import ORDER_FIELDS
from kanban.services.loops import ensure_active_loop, loop_resize
from production import live
from production.errors import DomainError, NotAllowed
from production.models import WorkOrderStatus
from production.services.stock import ensure_stock_levels
from production.services.work_orders import work_order_transition
from production.supply.services import call_off_cancel, transfer_order_cancel

C = CardStatus


@dataclass
class LoopChange:
    loop: KanbanLoop
    added: int = 0
    retired: int = 0
    still_to_retire: int = 0
    changed: list[str] = field(default_factory=list)


def _locked_loop(loop_id: int) -> KanbanLoop:
    loop = KanbanLoop.objects.select_related("product__line", "location").get(pk=loop_id)
    # The loop's stock level guards its cards (house lock order: levels, then cards).
    ensure_stock_levels([(loop.product_id, loop.location_id)])
    # Read again under that lock: what another change of the loop committed is seen.
    return KanbanLoop.objects.select_related("product__line", "location").get(pk=loop_id)


@transaction.atomic
def loop_update(
    *,
    loop_id: int,
    card_count: int | None = None,
    container_quantity: Decimal | None = None,
    actor_id: int | None = None,
) -> LoopChange:
    """Change a loop's card count (cards added or retired as apply-sizing does) and/or
    its container quantity (the module's rule)."""
    loop = _locked_loop(loop_id)
    ensure_active_loop(loop)
    change = LoopChange(loop)
    if container_quantity is not None and Decimal(container_quantity) != loop.container_quantity:
        if Decimal(container_quantity) <= 0:
            raise DomainError(
                gettext("Container quantity must be greater than zero."),
                field="container_quantity",
            )
        loop.container_quantity = Decimal(container_quantity)
        loop.save(update_fields=["container_quantity"])
        change.changed.append("container_quantity")
    if card_count is not None:
        outcome = loop_resize(loop=loop, card_count=card_count, actor_id=actor_id, reason="planner")
        change.added, change.retired = outcome["added"], outcome["retired"]
        change.still_to_retire = outcome["still_to_retire"]
        if change.added or change.retired:
            change.changed.append("card_count")
    live.notify_lines_changed([loop.product.line_id])
    return change


@transaction.atomic
def loop_archive(*, loop_id: int, actor_id: int | None = None) -> KanbanLoop:
    """Archive a loop: kept with its history, it sends no signals and takes no new work.

    Its cards are retired (events say `loop archived`); what they held stays on hand as
    the product's stock (nothing physical left), and open orders of empty cards are
    cancelled. Refused while a card is in process: finish or cancel that work first.
    Archiving twice changes nothing.
    """
    loop = _locked_loop(loop_id)
    if loop.archived_at is not None:
        return loop
    cards = list(lock_cards(loop.cards.exclude(status=C.RETIRED)))
    busy = [c.number for c in cards if c.status == C.IN_PROCESS]
    if busy:
        raise NotAllowed(
            gettext("Cards %(numbers)s are in process: finish or cancel their work first.")
            % {"numbers": ", ".join(f"#{n}" for n in busy)},
            field="loop",
            code="in_process",
        )
    now = timezone.now()
    events = []
    for card in cards:
        if card.work_order_id is not None:
            work_order_transition(
                work_order_id=card.work_order_id,
                to=WorkOrderStatus.CANCELLED,
                actor_id=actor_id,
                reason="loop archived",
                via_card=True,
            )
        # A supplier's or a transfer's open order is cancelled the same way (a call-off
        # already shipped, or a transfer picked, cannot be: the archive is refused whole).
        if card.call_off_id is not None:
            call_off_cancel(
                call_off_id=card.call_off_id,
                actor_id=actor_id,
                reason="loop archived",
                via_card=True,
            )
        if card.transfer_order_id is not None:
            transfer_order_cancel(
                transfer_order_id=card.transfer_order_id,
                actor_id=actor_id,
                reason="loop archived",
                via_card=True,
            )
        events.append(
            CardEvent(
                card=card,
                from_status=card.status,
                to_status=C.RETIRED,
                source=CardEventSource.PLANNER,
                actor_id=actor_id,
                reason="loop archived",
                work_order_id=card.work_order_id,
            )
        )
        card.status, card.remaining_quantity, card.work_order = C.RETIRED, Decimal("0"), None
        card.call_off, card.transfer_order = None, None
        card.version += 1
        card.status_changed_at = now
    KanbanCard.objects.bulk_update(
        cards, ["status", "remaining_quantity", *ORDER_FIELDS, "version", "status_changed_at"]
    )
    CardEvent.objects.bulk_create(events)
    loop.archived_at = now
    loop.save(update_fields=["archived_at"])
    live.notify_lines_changed([loop.product.line_id])
    return loop
