"""Dashboard fixtures: the history line of the twin tests, and line `cell`, a small plant
whose every event is known, so each dashboard figure can be computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from production.models import (
    DemandEvent,
    DemandStatus,
    LocationKind,
    MoveKind,
    ProductionLine,
    StockLevel,
    StockMove,
    WorkOrder,
    WorkOrderOrigin,
    WorkOrderStatus,
)
from tests.factories import LineFactory, LocationFactory, ProductFactory
from tests.twin.conftest import history_line  # noqa: F401  (shared fixture)

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)  # the cell's dashboards are read at this time


def at(day: int, hour: float = 0.0) -> datetime:
    """March `day` 2026, `hour` o'clock (UTC, the tests' TIME_ZONE)."""
    return datetime(2026, 3, day, tzinfo=UTC) + timezone.timedelta(hours=hour)


def _order(product, store, quantity, status, origin=WorkOrderOrigin.KANBAN, **stamps):  # type: ignore[no-untyped-def]
    order = WorkOrder.objects.create(
        product=product,
        line=product.line,
        location=store,
        quantity=Decimal(quantity),
        origin=origin,
        status=status,
    )
    WorkOrder.objects.filter(pk=order.pk).update(**stamps)  # created_at is auto_now_add
    return order


def _move(product, location, quantity, when, kind=MoveKind.RECEIPT):  # type: ignore[no-untyped-def]
    move = StockMove.objects.create(
        product=product, location=location, kind=kind, quantity=Decimal(quantity)
    )
    StockMove.objects.filter(pk=move.pk).update(created_at=when)  # an UPDATE: the sums follow


def _demand(product, quantity, when, *, key, processed=True, backordered="0"):  # type: ignore[no-untyped-def]
    """`processed`: True for an event Pullboard processed after storing it, "imported" for
    one stored already processed (a history import), False for one still waiting."""
    event = DemandEvent.objects.create(
        product=product,
        quantity=Decimal(quantity),
        occurred_at=when,
        external_id=key,
        status=DemandStatus.RECEIVED,
    )
    if processed:
        short = Decimal(backordered)
        DemandEvent.objects.filter(pk=event.pk).update(
            status=DemandStatus.BACKORDERED if short else DemandStatus.FULFILLED,
            backordered_quantity=short,
            open_backorder_quantity=short,
            processed_at=when if processed == "imported" else timezone.now(),
        )


@pytest.fixture
def cell(db) -> ProductionLine:  # type: ignore[no-untyped-def]
    """Line `cell` (10 units/day) with products A (containers of 5) and B (of 2) at
    supermarket `sm-cell`, read on March 15 at noon over the 7 days March 8-14:

    work orders (created 06:00, released +2 h, started +4 h, lead time L days):
      W0 A5 Mar 8 L1.0, W1 B2 Mar 9 L0.5, W2 A5 Mar 10 L2.0, W3 B2 Mar 11 L1.5,
      W4 A5 Mar 12 L0.25, W5 B2 Mar 13 L1.0 (all done in the window);
      W7 A5 done Mar 7 (before it); W8 A5 released Mar 14 10:00, in progress;
      W9 B2 released Mar 12 06:00, cancelled Mar 13 06:00; W10 A5 planned (a signal)
      Mar 14 20:00; W11 A5 released Mar 15 02:00, done Mar 15 06:00 (today).
    demand: A10 Mar 9 and A4 Mar 11 (1 backordered) and B6 Mar 12, served by Pullboard;
      B20 Mar 10 imported as already served; A3 Mar 13 not processed yet; A7 today;
      A2 Mar 7 (before the window).
    stock at sm-cell: A +20 and B +10 on Mar 1, then receipts and consumptions (below);
      A +100 at another location (not the supermarket).
    """
    line = LineFactory(code="cell", name="Cell", capacity_per_day=Decimal("10"), wip_limit=4)
    store = LocationFactory(code="sm-cell")
    elsewhere = LocationFactory(code="store-cell", kind=LocationKind.STORE)
    a = ProductFactory(sku="CELL-A", line=line, supermarket=store, container_quantity=5)
    b = ProductFactory(sku="CELL-B", line=line, supermarket=store, container_quantity=2)
    done = WorkOrderStatus.DONE
    for i, lead in enumerate([1.0, 0.5, 2.0, 1.5, 0.25, 1.0]):
        created = at(8 + i, 6)
        product, quantity = (a, 5) if i % 2 == 0 else (b, 2)
        _order(
            product,
            store,
            quantity,
            done,
            created_at=created,
            released_at=created + timezone.timedelta(hours=2),
            started_at=created + timezone.timedelta(hours=4),
            completed_at=created + timezone.timedelta(days=lead),
        )
    _order(a, store, 5, done, created_at=at(5), released_at=at(6), started_at=at(6, 1),
           completed_at=at(7, 23))  # fmt: skip
    _order(a, store, 5, WorkOrderStatus.IN_PROGRESS, created_at=at(14, 9),
           released_at=at(14, 10), started_at=at(14, 11))  # fmt: skip
    _order(b, store, 2, WorkOrderStatus.CANCELLED, created_at=at(12, 5), released_at=at(12, 6),
           cancelled_at=at(13, 6))  # fmt: skip
    _order(a, store, 5, WorkOrderStatus.PLANNED, created_at=at(14, 20))
    _order(a, store, 5, done, created_at=at(15, 1), released_at=at(15, 2), started_at=at(15, 3),
           completed_at=at(15, 6))  # fmt: skip
    _demand(a, 10, at(9, 10), key="d1")
    _demand(a, 4, at(11, 9), key="d2", backordered="1")
    _demand(b, 6, at(12, 9), key="d3")
    _demand(b, 20, at(10, 12), key="d4", processed="imported")
    _demand(a, 3, at(13, 9), key="d5", processed=False)
    _demand(a, 7, at(15, 9), key="d6")
    _demand(a, 2, at(7, 9), key="d7")
    consumption = MoveKind.CONSUMPTION
    for product, quantity, when, kind in [
        (a, 20, at(1), MoveKind.OPENING),
        (b, 10, at(1), MoveKind.OPENING),
        (a, -10, at(9, 10), consumption),
        (a, 5, at(9, 6), MoveKind.RECEIPT),
        (b, 2, at(9, 18), MoveKind.RECEIPT),
        (a, -3, at(11, 9), consumption),
        (b, -6, at(12, 9), consumption),
        (a, 5, at(12, 6), MoveKind.RECEIPT),
        (a, 5, at(12, 12), MoveKind.RECEIPT),
        (b, 2, at(12, 18), MoveKind.RECEIPT),
        (b, 2, at(14, 6), MoveKind.RECEIPT),
        (a, 5, at(15, 6), MoveKind.RECEIPT),
        (a, -7, at(15, 9), consumption),
    ]:
        _move(product, store, quantity, when, kind)
    _move(a, elsewhere, 100, at(10))
    StockLevel.objects.create(product=a, location=store, on_hand=Decimal("20"))
    StockLevel.objects.create(product=b, location=store, on_hand=Decimal("10"))
    StockLevel.objects.create(product=a, location=elsewhere, on_hand=Decimal("100"))
    return line
