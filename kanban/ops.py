"""What kanban adds to the operators' view of Pullboard (production/ops): its metrics and
its integrity checks, registered when the app loads.

- Metrics: cards by line and status (`pullboard_cards`), and the open live-board streams
  (`pullboard_board_streams_open`, a gauge each web process keeps in kanban/stream.py and
  Prometheus' multiprocess mode sums), and the cards on hold by line
  (`pullboard_cards_on_hold`, read in the same query as the cards).
- Integrity: the cards of each pull loop hold what is on hand, each empty card has its one
  open pull signal, no card has two.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
)
from prometheus_client import Gauge
from prometheus_client.core import GaugeMetricFamily, Metric

from kanban.models import ACTIVE_CARD_STATUSES, CardStatus, KanbanCard, PullSignal
from kanban.replenish import NO_ORDER
from kanban.selectors.loops import pull_loops_with_stock
from production.models import WorkOrderStatus

C = CardStatus

BOARD_STREAMS = Gauge(
    "pullboard_board_streams_open",
    "Live-board streams (server-sent events) open in the web processes.",
    multiprocess_mode="livesum",
)


def card_metrics(now: datetime) -> Iterator[Metric]:
    cards = GaugeMetricFamily(
        "pullboard_cards", "Active kanban cards, by line and status.", labels=["line", "status"]
    )
    on_hold = GaugeMetricFamily(
        "pullboard_cards_on_hold",
        "Active kanban cards on hold (their own hold or their loop's), by line.",
        labels=["line"],
    )
    held_by_line: dict[str, int] = {}
    for row in (
        KanbanCard.objects.filter(status__in=ACTIVE_CARD_STATUSES)
        .order_by()
        .values("loop__product__line__code", "status")
        .annotate(n=Count("pk"), held=Count("pk", filter=Q(loop_held=True) | ~Q(hold_reason="")))
    ):
        line = row["loop__product__line__code"]
        cards.add_metric([line, row["status"]], row["n"])
        held_by_line[line] = held_by_line.get(line, 0) + row["held"]
    for line, held in sorted(held_by_line.items()):
        on_hold.add_metric([line], held)
    yield cards
    yield on_hold


def cards_hold_what_is_on_hand() -> list[str]:
    """The full and in-use cards of each pull loop hold its supermarket's on-hand stock."""
    return [
        f"loop {row['pk']} ({row['product__sku']}@{row['location__code']}): cards hold "
        f"{row['held']}, on hand {row['on_hand']}"
        for row in pull_loops_with_stock()
        .filter(~Q(held=F("on_hand")))
        .order_by("pk")
        .values("pk", "product__sku", "location__code", "held", "on_hand")
    ]


def one_open_signal_per_empty_card() -> list[str]:
    """An empty card of a pull line (or of a purchased product) has its order (a work
    order, a call-off or a transfer order) and that order's signal; no card has two open
    signals (unfulfilled, their order neither done, received nor cancelled)."""
    closed = [WorkOrderStatus.DONE, WorkOrderStatus.CANCELLED]
    ended = ["received", "cancelled"]
    its_signal = PullSignal.objects.filter(card=OuterRef("pk")).filter(
        Q(work_order=OuterRef("work_order"))
        | Q(call_off=OuterRef("call_off"))
        | Q(transfer_order=OuterRef("transfer_order"))
    )
    pulled = Q(loop__product__line__mode="pull") | Q(loop__product__line__isnull=True)
    unsignalled = [
        f"card {row['pk']} ({row['loop__product__sku']} #{row['number']}) is empty "
        "without its open pull signal"
        for row in KanbanCard.objects.filter(pulled, status=C.EMPTY)
        .filter(Q(**NO_ORDER) | ~Exists(its_signal))
        .order_by("pk")
        .values("pk", "loop__product__sku", "number")
    ]
    doubled = [
        f"card {row['card']} has {row['n']} open pull signals"
        for row in PullSignal.objects.filter(fulfilled_at__isnull=True)
        .exclude(work_order__status__in=closed)
        .exclude(call_off__status__in=ended)
        .exclude(transfer_order__status__in=ended)
        .order_by()
        .values("card")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by("card")
    ]
    return unsignalled + doubled


def register() -> None:
    from production.ops.integrity import register_integrity_check
    from production.ops.metrics import register_metric_source

    register_metric_source(card_metrics)
    register_integrity_check("cards hold what is on hand", cards_hold_what_is_on_hand)
    register_integrity_check("one open signal per empty card", one_open_signal_per_empty_card)
