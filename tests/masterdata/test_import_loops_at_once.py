"""A sheet of new loops opens at once (`loops_open`): the same queries for 3 loops as for
15, each loop still booked as if opened by hand, and the backorders that were waiting at
each new loop's place served from its opening stock."""

from __future__ import annotations

from decimal import Decimal

import tablib
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kanban.models import CardStatus, KanbanCard, KanbanLoop
from production.masterdata.services import masterdata_import
from production.models import (
    DemandEvent,
    DemandStatus,
    LocationKind,
    MoveKind,
    StockLevel,
    StockMove,
)
from tests.factories import LocationFactory, ProductFactory

LOOP_COLUMNS = ["product", "location", "container_quantity", "card_count", "safety_factor"]


def _loops_sheet(rows: list[list[str]]) -> tablib.Dataset:
    return tablib.Dataset(*rows, headers=LOOP_COLUMNS)


def _queries_to_open(plant, count: int, prefix: str) -> int:  # type: ignore[no-untyped-def]
    skus = [
        ProductFactory(sku=f"{prefix}-{n}", line=plant.fab, supermarket=plant.supermarket).sku
        for n in range(count)
    ]
    sheet = _loops_sheet([[sku, "sm-main", "10", "3", "0.2"] for sku in skus])
    with CaptureQueriesContext(connection) as queries:
        report = masterdata_import(sheets={"loops": sheet}, dry_run=False)
    assert report.applied, [r.errors for s in report.sheets for r in s.rows if r.errors]
    opened = KanbanLoop.objects.filter(product__sku__in=skus)
    assert opened.count() == count
    assert KanbanCard.objects.filter(loop__in=opened, status=CardStatus.FULL).count() == 3 * count
    moves = StockMove.objects.filter(product__sku__in=skus, kind=MoveKind.OPENING)
    assert sorted(m.quantity for m in moves) == [Decimal("30")] * count
    assert all(level.on_hand == 30 for level in StockLevel.objects.filter(product__sku__in=skus))
    # Each loop's history row is there, as when a planner opens one.
    assert sum(loop.history.count() for loop in opened) == count
    return len(queries)


def test_a_sheet_of_new_loops_opens_in_the_same_queries_at_any_size(plant) -> None:  # type: ignore[no-untyped-def]
    assert _queries_to_open(plant, 3, "FEW") == _queries_to_open(plant, 15, "MANY")


def test_one_import_serves_the_backorders_waiting_at_each_new_loop(plant) -> None:  # type: ignore[no-untyped-def]
    line_side = LocationFactory(code="ls-1", kind=LocationKind.LINE_SIDE)
    bolt = ProductFactory(sku="BOLT", line=plant.fab, supermarket=plant.supermarket)
    nut = ProductFactory(sku="NUT", line=plant.fab, supermarket=plant.supermarket)

    def backorder(product, quantity: str, location=None) -> DemandEvent:  # type: ignore[no-untyped-def]
        return DemandEvent.objects.create(
            product=product,
            quantity=Decimal(quantity),
            occurred_at=timezone.now(),
            external_id=f"{product.sku}-{quantity}-{location}",
            location=location,
            status=DemandStatus.BACKORDERED,
            backordered_quantity=Decimal(quantity),
            open_backorder_quantity=Decimal(quantity),
        )

    at_supermarket = backorder(bolt, "12")  # names no place: waits at the supermarket
    at_line_side = backorder(nut, "7", line_side)
    nut_elsewhere = backorder(nut, "4")  # the nut's supermarket gets no loop here

    sheet = _loops_sheet([["BOLT", "sm-main", "10", "2", "0.2"], ["NUT", "ls-1", "5", "1", "0"]])
    report = masterdata_import(sheets={"loops": sheet}, dry_run=False)
    assert report.applied

    for event in (at_supermarket, at_line_side, nut_elsewhere):
        event.refresh_from_db()
    assert (at_supermarket.open_backorder_quantity, at_supermarket.status) == (
        Decimal("0"),
        DemandStatus.FULFILLED,
    )
    # 5 were opened at the line side for 7 waiting: 2 still wait.
    assert at_line_side.open_backorder_quantity == Decimal("2")
    assert nut_elsewhere.open_backorder_quantity == Decimal("4")
    levels = {
        (level.product.sku, level.location.code): level.on_hand
        for level in StockLevel.objects.select_related("product", "location")
    }
    assert levels[("BOLT", "sm-main")] == Decimal("8")
    assert levels[("NUT", "ls-1")] == Decimal("0")


def test_the_same_loop_twice_in_one_file_names_its_second_row(plant) -> None:  # type: ignore[no-untyped-def]
    ProductFactory(sku="TWICE", line=plant.fab, supermarket=plant.supermarket)
    sheet = _loops_sheet(
        [["TWICE", "sm-main", "10", "2", "0.2"], ["TWICE", "sm-main", "10", "3", "0.2"]]
    )
    report = masterdata_import(sheets={"loops": sheet}, dry_run=False)
    assert not report.applied
    first, second = report.sheets[0].rows
    assert first.status == "new" and second.status == "error" and second.row == 3
    assert second.errors[0][0] == "product" and "earlier row" in second.errors[0][1]
    assert not KanbanLoop.objects.filter(product__sku="TWICE").exists()


def test_new_parts_opened_empty_at_once_signal_every_card_in_the_same_queries(plant) -> None:  # type: ignore[no-untyped-def]
    from kanban.models import PullSignal
    from kanban.services import LoopOpening, loops_open

    def open_empty(count: int, prefix: str) -> int:
        products = [
            ProductFactory(sku=f"{prefix}-{n}", line=plant.fab, supermarket=plant.supermarket)
            for n in range(count)
        ]
        openings = [LoopOpening(product=p, card_count=2, opening="empty") for p in products]
        with CaptureQueriesContext(connection) as queries:
            loops = loops_open(openings)
        cards = KanbanCard.objects.filter(loop__in=loops)
        assert cards.count() == 2 * count
        assert all(c.status == CardStatus.EMPTY and c.work_order_id for c in cards)
        assert PullSignal.objects.filter(card__in=cards).count() == 2 * count
        # Nothing is booked that is not there.
        assert not StockMove.objects.filter(product__in=products).exists()
        return len(queries)

    open_empty(1, "WARM")  # what a process reads once (the webhook subscriptions)
    assert open_empty(2, "E2") == open_empty(6, "E6")
