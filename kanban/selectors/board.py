"""The board of a line: columns, swimlanes and cards, and the board's fingerprint.

One query for the cards (with what they show, joined), the rest computed in Python.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kanban.models import ACTIVE_CARD_STATUSES, CardStatus, KanbanCard
from kanban.selectors.board_fingerprint import fingerprint, fingerprint_of_rows
from kanban.selectors.board_supply import SUPPLY_FIELDS, supply_order
from kanban.selectors.urgency import URGENCY_RANK, age_text, hold_text, lane_rank, urgency_of
from kanban.selectors.work_orders import BoardOrders, board_orders, facts_of, order_facts
from kanban.services import allowed_moves
from production.models import LineMode, LineModeSwitch, ProductionLine, WorkOrderStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

C = CardStatus
# Board columns, in the order the work flows on the floor.
# The labels are lazy: each board is drawn in its reader's language.
BOARD_COLUMNS: tuple[tuple[str, StrOrPromise], ...] = (
    (C.EMPTY, gettext_lazy("To make (empty)")),
    (C.IN_PROCESS, gettext_lazy("In process")),
    (C.FULL, gettext_lazy("Full")),
    (C.IN_USE, gettext_lazy("In use")),
)
# The label of the button that makes each move: verbs an operator recognises.
MOVE_LABELS: dict[str, StrOrPromise] = {
    C.EMPTY: gettext_lazy("Mark empty"),
    C.IN_PROCESS: gettext_lazy("Start"),
    C.FULL: gettext_lazy("Finish"),
    C.IN_USE: gettext_lazy("Open"),
}
SHORT_LABELS: dict[str, StrOrPromise] = {
    C.EMPTY: gettext_lazy("To make"),
    C.IN_PROCESS: gettext_lazy("In process"),
    C.FULL: gettext_lazy("Full"),
    C.IN_USE: gettext_lazy("In use"),
}
# How long a card has sat in its column, said the way the floor says it.
AGE_PHRASES: dict[str, StrOrPromise] = {
    C.EMPTY: gettext_lazy("waiting"),
    C.IN_PROCESS: gettext_lazy("in work for"),
    C.FULL: gettext_lazy("full for"),
    C.IN_USE: gettext_lazy("in use for"),
}
# Bump when the board markup changes, so cached fragments (ETags) are not reused.


@dataclass
class BoardMove:
    to: str
    label: str
    column: str


@dataclass
class BoardCard:
    id: int
    number: int
    status: str
    version: int
    loop_id: int
    location: str
    work_order_id: int | None
    work_order_status: str
    since: datetime
    since_iso: str
    age: str
    age_phrase: str
    loop_size: int
    urgency: str
    moves: list[BoardMove]
    move_url: str
    hold: str = ""  # why the card (or its loop) is on hold: no signal, no start
    one_time: bool = False
    detail_url: str = ""
    supply: str = ""  # its call-off or transfer order, with its due time
    late: bool = False  # that order is marked late

    @property
    def allowed(self) -> str:
        return " ".join(move.to for move in self.moves)


@dataclass
class BoardCell:
    """One product's cards in one status column: a drop zone on the board."""

    status: str
    label: str
    sku: str
    cards: list[BoardCard]

    @property
    def cards_html(self) -> str:
        from kanban.board_html import cards_html

        return cards_html(self)


@dataclass
class Swimlane:
    product_id: int
    sku: str
    name: str
    urgency: str  # "critical", "warning" or "ok"
    urgency_text: str
    cells: list[BoardCell] = field(default_factory=list)
    # Nothing to make and nothing in process: the lane starts collapsed.
    quiet: bool = False
    summary: str = ""
    hold: str = ""  # the loop's hold, shown on the lane
    # A quiet lane is drawn folded and without its cards; they are fetched when it opens.
    deferred: bool = False


@dataclass
class Board:
    line: ProductionLine
    columns: list[dict[str, object]]
    swimlanes: list[Swimlane]
    card_count: int
    in_process: int
    wip_over: bool
    parked: bool
    etag: str
    # What a live change is computed from (see `board_change`): a fingerprint of each
    # swimlane's rows, and of what a change of lanes cannot express (which lanes, in
    # which order, and the line's own facts).
    lane_keys: dict[int, int] = field(default_factory=dict)
    layout: int = 0
    orders: BoardOrders | None = None

    @property
    def lane_order(self) -> list[int]:
        return [lane.product_id for lane in self.swimlanes]


@dataclass
class BoardChange:
    """What moved a board on from `base` to `etag`: the swimlanes that changed.

    `full` when lanes alone cannot say it (a lane added or removed, the line's mode,
    name or WIP limit changed): the boards then fetch their columns again.
    """

    base: str
    etag: str
    lanes: list[Swimlane]
    full: bool
    board: Board


def board_lines() -> list[ProductionLine]:
    """The lines that have a board, with how many active cards and how many wait to be made."""
    active = Q(products__kanban_loops__cards__status__in=ACTIVE_CARD_STATUSES)
    return list(
        ProductionLine.objects.annotate(
            card_count=Count("products__kanban_loops__cards", filter=active),
            to_make=Count(
                "products__kanban_loops__cards",
                filter=Q(products__kanban_loops__cards__status=C.EMPTY),
            ),
        ).order_by("code")
    )


def board_line(code: str = "", *, pk: int | None = None) -> ProductionLine | None:
    """The line, with the facts of the push work orders its board shows and the mode
    switch still to come, if one is dated (`coming_mode`, `coming_at`): one query."""
    lines = ProductionLine.objects.all() if pk is None else ProductionLine.objects.filter(pk=pk)
    coming = LineModeSwitch.objects.filter(
        line_id=OuterRef("pk"), applied_at__isnull=True, cancelled_at__isnull=True
    ).order_by("-created_at", "-id")
    lines = lines.annotate(
        coming_mode=Subquery(coming.values("to_mode")[:1]),
        coming_at=Subquery(coming.values("effective_at")[:1]),
    )
    return order_facts(lines.filter(code=code) if code else lines).first()


_CARD_FIELDS = (
    "id",
    "number",
    "status",
    "version",
    "status_changed_at",
    "loop_id",
    "loop__product_id",
    "loop__product__sku",
    "loop__product__name",
    "loop__location__code",
    "work_order_id",
    "work_order__status",
    "work_order__version",
    "hold_reason",
    "hold_note",
    "loop_held",
    "one_time",
    "loop__hold_reason",
    "loop__hold_note",
    *SUPPLY_FIELDS,  # a supplier's or a transfer loop's order
)


def _board_rows(line_id: int) -> list[tuple[Any, ...]]:
    """The board's one card query: plain rows (a board can hold thousands of cards)."""
    return list(
        KanbanCard.objects.filter(loop__product__line_id=line_id, status__in=ACTIVE_CARD_STATUSES)
        .order_by("loop__product__sku", "loop__location__code", "number")
        .values_list(*_CARD_FIELDS)
    )


def board_etag(line: ProductionLine) -> str:
    """A fingerprint of everything the board shows, from one aggregate query.

    Every card change bumps the card's version; work orders carry their own version. What
    the fragment shows of a card's loop (its product's SKU and name, its location) is part
    of it too, one row per loop, so a product renamed without any card moving is a new
    fingerprint and not the cached fragment of before. `board_for_line` computes the same
    fingerprint from the rows it already has.
    """
    per_loop = (
        KanbanCard.objects.filter(loop__product__line_id=line.pk, status__in=ACTIVE_CARD_STATUSES)
        .values("loop_id", "loop__product__sku", "loop__product__name", "loop__location__code")
        .annotate(
            n=Count("id"),
            versions=Coalesce(Sum("version"), 0),
            orders=Coalesce(Sum("work_order_id"), 0),
            order_versions=Coalesce(Sum("work_order__version"), 0),
            changed=Max("status_changed_at"),
            supply=Coalesce(Sum("call_off__version"), 0)
            + Coalesce(Sum("transfer_order__version"), 0),
            late=Count("call_off__late_at") + Count("transfer_order__late_at"),
        )
        .order_by("loop_id")
        .values_list(
            "loop_id",
            "loop__product__sku",
            "loop__product__name",
            "loop__location__code",
            "n",
            "versions",
            "orders",
            "order_versions",
            "changed",
            "supply",
            "late",
        )
    )
    return fingerprint(line, facts_of(line), tuple(per_loop))


def _moves_from(status: str, *, parked: bool) -> list[BoardMove]:
    targets = allowed_moves(status)
    if parked:  # a push line's cards are parked; work in process can still finish
        targets = targets & {C.FULL} if status == C.IN_PROCESS else frozenset()
    return [
        BoardMove(to, str(MOVE_LABELS[to]), str(SHORT_LABELS[to]))
        for to, _ in BOARD_COLUMNS
        if to in targets
    ]


def _summary(cells: dict[str, list[BoardCard]]) -> str:
    return " · ".join(
        f"{len(cells[status])} {str(SHORT_LABELS[status]).lower()}"
        for status, _ in BOARD_COLUMNS
        if cells[status]
    )


def board_for_line(line: ProductionLine, *, etag: str | None = None) -> Board:
    rows = _board_rows(line.pk)
    orders = board_orders(line)
    parked = line.mode != LineMode.PULL
    moves = {status: _moves_from(status, parked=parked) for status, _ in BOARD_COLUMNS}
    move_base = reverse("kanban:card-move", args=[0]).rsplit("0/", 1)[0]
    detail_base = reverse("kanban:card", args=[0]).rsplit("0/", 1)[0]
    order_labels = {value: str(label) for value, label in WorkOrderStatus.choices}
    now = timezone.now()
    per_loop: dict[int, Counter[str]] = defaultdict(Counter)
    for row in rows:
        per_loop[row[5]][row[2]] += 1
    loop_urgency = {loop_id: urgency_of(counts) for loop_id, counts in per_loop.items()}
    loop_size = {loop_id: sum(counts.values()) for loop_id, counts in per_loop.items()}
    lanes: dict[int, Swimlane] = {}
    cells: dict[int, dict[str, list[BoardCard]]] = {}
    lane_rows: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        lane_rows[row[6]].append(row)
    for (
        pk,
        number,
        status,
        version,
        since,
        loop_id,
        product_id,
        sku,
        name,
        location,
        order_id,
        order_status,
        _order_version,
        hold_reason,
        hold_note,
        loop_held,
        one_time,
        loop_hold_reason,
        loop_hold_note,
        *supply_values,
    ) in rows:
        lane = lanes.get(product_id)
        if lane is None:
            lane = lanes[product_id] = Swimlane(product_id, sku, name, "ok", "")
            cells[product_id] = {column: [] for column, _ in BOARD_COLUMNS}
        urgency, text = loop_urgency[loop_id]
        hold = hold_text(hold_reason, hold_note) or (
            hold_text(loop_hold_reason, loop_hold_note, loop=True) if loop_held else ""
        )
        if loop_held and not lane.hold:
            lane.hold = hold
        if not lane.urgency_text or URGENCY_RANK[urgency] > URGENCY_RANK[lane.urgency]:
            lane.urgency, lane.urgency_text = urgency, text
        supply, late = supply_order(supply_values)
        cells[product_id][status].append(
            BoardCard(
                id=pk,
                number=number,
                status=status,
                version=version,
                loop_id=loop_id,
                location=location,
                work_order_id=order_id,
                work_order_status=order_labels.get(order_status, "") if order_id else "",
                since=since,
                since_iso=since.isoformat(),
                age=age_text((now - since).total_seconds()),
                age_phrase=str(AGE_PHRASES[status]),
                loop_size=loop_size[loop_id],
                urgency=urgency,
                moves=[m for m in moves[status] if m.to != C.IN_PROCESS] if hold else moves[status],
                move_url=f"{move_base}{pk}/move/",
                hold=hold,
                one_time=one_time,
                detail_url=f"{detail_base}{pk}/",
                supply=supply,
                late=late,
            )
        )
    totals = Counter(row[2] for row in rows)
    for product_id, lane in lanes.items():
        lane_cells = cells[product_id]
        for status in (C.EMPTY, C.IN_PROCESS):  # the longest waiting first
            lane_cells[status].sort(key=lambda card: (card.since, card.id))
        lane.quiet = lane.deferred = not (lane_cells[C.EMPTY] or lane_cells[C.IN_PROCESS])
        lane.summary = _summary(lane_cells)
        lane.cells = [
            BoardCell(status, str(label), lane.sku, lane_cells[status])
            for status, label in BOARD_COLUMNS
        ]
    ordered = sorted(lanes.values(), key=lambda lane: lane_rank(lane, cells[lane.product_id]))
    in_process = totals[C.IN_PROCESS]
    columns: list[dict[str, object]] = [
        {"status": status, "label": str(label), "count": totals[status]}
        for status, label in BOARD_COLUMNS
    ]
    return Board(
        line=line,
        columns=columns,
        swimlanes=ordered,
        card_count=len(rows),
        in_process=in_process,
        wip_over=in_process >= line.wip_limit,
        parked=parked,
        etag=etag or fingerprint_of_rows(line, orders.facts, rows),
        lane_keys={product_id: hash(tuple(rows)) for product_id, rows in lane_rows.items()},
        # Which lanes (not their order: a change sends the new order), the line's own
        # facts and its push orders: what a change of lanes cannot express.
        layout=hash(
            (line.mode, line.wip_limit, line.name, line.code, tuple(sorted(lanes)), orders.facts)
        ),
        orders=orders,
    )


def board_change(before: Board, after: Board) -> BoardChange:
    """The swimlanes that differ between two reads of one line's board."""
    full = before.layout != after.layout
    lanes = (
        []
        if full
        else [
            lane
            for lane in after.swimlanes
            if before.lane_keys.get(lane.product_id) != after.lane_keys[lane.product_id]
        ]
    )
    return BoardChange(base=before.etag, etag=after.etag, lanes=lanes, full=full, board=after)
