"""Cards on paper and cards gone missing: print sheets, scan codes, the lost-card audit."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from kanban.models import ACTIVE_CARD_STATUSES, KanbanCard, KanbanLoop
from production.models import ProductionLine

SCAN_PREFIX = "PB-CARD:"


def scan_code(card_id: int) -> str:
    """What a printed card's QR code says: the scan page reads it back."""
    return f"{SCAN_PREFIX}{card_id}"


def cards_to_print(*, line_code: str = "", loop_id: int | None = None) -> list[KanbanCard]:
    cards = KanbanCard.objects.filter(status__in=ACTIVE_CARD_STATUSES).select_related(
        "loop__product__line", "loop__location"
    )
    if loop_id is not None:
        cards = cards.filter(loop_id=loop_id)
    elif line_code:
        cards = cards.filter(loop__product__line__code=line_code)
    else:
        return []
    return list(
        cards.annotate(
            loop_size=Count("loop__cards", filter=Q(loop__cards__status__in=ACTIVE_CARD_STATUSES))
        ).order_by("loop__product__sku", "loop__location__code", "number")
    )


def all_lines() -> list[ProductionLine]:
    return list(ProductionLine.objects.order_by("code"))


def all_loops() -> list[KanbanLoop]:
    return list(KanbanLoop.objects.select_related("product", "location").order_by("product__sku"))


def lost_cards(*, days: int, line_code: str = "") -> list[KanbanCard]:
    """Active cards not scanned or moved for `days` days: the last event or status change."""
    cutoff = timezone.now() - timedelta(days=days)
    cards = (
        KanbanCard.objects.filter(status__in=ACTIVE_CARD_STATUSES)
        .annotate(
            last_seen=Greatest(
                "status_changed_at", Coalesce(Max("events__created_at"), "status_changed_at")
            )
        )
        .filter(last_seen__lt=cutoff)
        .select_related("loop__product__line", "loop__location")
        .order_by("last_seen", "pk")
    )
    if line_code:
        cards = cards.filter(loop__product__line__code=line_code)
    return list(cards)
