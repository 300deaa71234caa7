"""Cards on paper and cards gone missing: print sheets, scan codes, the lost-card audit."""

from __future__ import annotations

from datetime import timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from kanban.codes import card_code
from kanban.models import ACTIVE_CARD_STATUSES, CardEvent, KanbanCard, KanbanLoop
from production.models import ProductionLine


def scan_code(card_id: int) -> str:
    """What a printed card's QR code says: the scan page reads it back (`kanban.codes`)."""
    return card_code(card_id)


def cards_to_print(
    *, line_code: str = "", loop_id: int | None = None, card_ids: list[int] | None = None
) -> list[KanbanCard]:
    cards = KanbanCard.objects.filter(status__in=ACTIVE_CARD_STATUSES).select_related(
        "loop__product__line", "loop__location"
    )
    if card_ids:
        cards = cards.filter(pk__in=card_ids)
    elif loop_id is not None:
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


LOST_CARDS_PER_PAGE = 100


def lost_cards(*, days: int, line_code: str = "") -> QuerySet[KanbanCard]:
    """Active cards not scanned or moved for `days` days: the last event or status change.

    Only cards whose status is older than the cutoff are candidates; each one's last event
    is one probe of the (card, created_at) index, so a plant's millions of card events are
    never grouped. Oldest first; the page paginates it.
    """
    cutoff = timezone.now() - timedelta(days=days)
    last_event = (
        CardEvent.objects.filter(card_id=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    cards = (
        KanbanCard.objects.filter(status__in=ACTIVE_CARD_STATUSES, status_changed_at__lt=cutoff)
        .annotate(last_event=Subquery(last_event))
        .filter(Q(last_event__lt=cutoff) | Q(last_event__isnull=True))
        .annotate(
            last_seen=Greatest("status_changed_at", Coalesce("last_event", "status_changed_at"))
        )
        .select_related("loop__product__line", "loop__location")
        .order_by("last_seen", "pk")
    )
    if line_code:
        cards = cards.filter(loop__product__line__code=line_code)
    return cards


def lost_cards_page(*, days: int, line_code: str = "", page: int | str = 1) -> Page[KanbanCard]:
    """One page of `lost_cards`: a plant can have thousands."""
    return Paginator(lost_cards(days=days, line_code=line_code), LOST_CARDS_PER_PAGE).get_page(page)
