"""A line with eight weeks of demand and finished work orders, for comparisons and dashboards."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from production.models import (
    DemandEvent,
    DemandStatus,
    MoveKind,
    ProductionLine,
    StockLevel,
    StockMove,
    WorkOrder,
    WorkOrderOrigin,
    WorkOrderStatus,
)
from tests.factories import LineFactory, LocationFactory, ProductFactory


@pytest.fixture
def history_line(db) -> ProductionLine:  # type: ignore[no-untyped-def]
    """Line `press`: two products, 56 days of demand (about 30 and 12 units a day),
    one done work order of a container per day per product, some backorders."""
    rng = np.random.default_rng(5)
    # Days counted back from the start of today (not from now): each day's demand and its
    # orders' steps stay inside that day whatever the hour the tests run at.
    now = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    line = LineFactory(code="press", name="Press line", capacity_per_day=Decimal("80"), wip_limit=4)
    store = LocationFactory(code="sm-press")
    products = [
        ProductFactory(
            sku="P-A",
            line=line,
            supermarket=store,
            container_quantity=Decimal("10"),
            lead_time_days=Decimal("1"),
        ),
        ProductFactory(
            sku="P-B",
            line=line,
            supermarket=store,
            container_quantity=Decimal("6"),
            lead_time_days=Decimal("1"),
        ),
    ]
    events, orders, moves = [], [], []
    for p, rate in zip(products, (30, 12), strict=True):
        for day in range(56, 0, -1):
            for i in range(int(rng.poisson(rate / 3))):
                at = now - timedelta(days=day) + timedelta(hours=float(rng.uniform(0, 24)))
                short = Decimal("3") if rng.uniform() < 0.05 else Decimal("0")
                events.append(
                    DemandEvent(
                        product=p,
                        quantity=Decimal("3"),
                        occurred_at=at,
                        source="erp",
                        external_id=f"{p.sku}-{day}-{i}",
                        processed_at=at,
                        status=DemandStatus.BACKORDERED if short else DemandStatus.FULFILLED,
                        backordered_quantity=short,
                    )
                )
            created = now - timedelta(days=day, hours=2)
            orders.append(
                WorkOrder(
                    product=p,
                    line=line,
                    location=store,
                    quantity=p.container_quantity,
                    origin=WorkOrderOrigin.KANBAN,
                    status=WorkOrderStatus.DONE,
                    released_at=created + timedelta(hours=1),
                    started_at=created + timedelta(hours=2),
                    completed_at=created + timedelta(hours=float(3 + rng.uniform(0, 3))),
                )
            )
    DemandEvent.objects.bulk_create(events)
    made = WorkOrder.objects.bulk_create(orders)
    for order in made:  # the signal came an hour before release (auto_now_add wrote now)
        order.created_at = order.released_at - timedelta(hours=1)
    WorkOrder.objects.bulk_update(made, ["created_at"])
    WorkOrder.objects.create(
        product=products[0],
        line=line,
        location=store,
        quantity=Decimal("10"),
        origin=WorkOrderOrigin.KANBAN,
        status=WorkOrderStatus.PLANNED,
    )
    for p in products:
        StockLevel.objects.create(product=p, location=store, on_hand=Decimal("40"))
        moves.append(
            StockMove(product=p, location=store, kind=MoveKind.RECEIPT, quantity=Decimal("40"))
        )
    StockMove.objects.bulk_create(moves)
    return line
