"""Push planning of bought-in components: call-offs from the same MRP run as the line's
work orders.

A push line's plan nets its own products (work orders) and then its products' purchased
components, those with no line of their own that a supplier loop replenishes. A component
is netted as any component is (`explain_product` with the dependent demand of its
parents' planned orders through the BOM, this plan's lots included), against its stock at
the supplier loop's location, its open call-offs and the lots of other drafts still to
release, over the supplier's lead time. Releasing the plan calls each lot off from that
supplier (`production.supply`): the plan's work orders and its call-offs come from one
run, and a plan released twice calls off once.

Two push lines may share a component: each plan locks the component's row before it
reads its stock and open orders, so the second nets what the first has already planned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from production.locks import lock_products
from production.models import BomLine, DemandEvent, Location, Product, StockLevel
from production.planning.models import PushPlan, PushPlanLine, PushPlanStatus
from production.planning.services.bom import dependent_demand
from production.policies import SupplyLoop, policy_for
from production.supply.models import CallOff, ReplenishmentSource, Supplier
from production.supply.services import NewCallOff, call_offs_create_many
from production.supply.transitions import OPEN_CALL_OFF

CALL_OFF = "call_off"  # the explanation's `replenished_by` of a bought-in row


@dataclass(frozen=True)
class BoughtIn:
    """A purchased component and the supplier loop that replenishes it."""

    product: Product
    supplier_id: int
    location_id: int
    lead_time_days: Decimal


def bought_in_components(products: Sequence[Product]) -> list[BoughtIn]:
    """The purchased components (no line) of `products` that a supplier loop replenishes,
    each with its first live supplier loop (by id), in product id order."""
    ids = set(
        BomLine.objects.filter(parent__in=list(products)).values_list("component_id", flat=True)
    )
    if not ids:
        return []
    try:
        loops = policy_for("pull").supply_loops(product_ids=ids)
    except LookupError:
        return []
    supplier_loop: dict[int, SupplyLoop] = {}
    for loop in loops:
        if loop.source == ReplenishmentSource.SUPPLIER and loop.supplier_id is not None:
            supplier_loop.setdefault(loop.product_id, loop)
    purchased = Product.objects.filter(
        pk__in=list(supplier_loop), line__isnull=True
    ).select_related("forecast")
    return [
        BoughtIn(
            product=p,
            supplier_id=supplier_loop[p.pk].supplier_id or 0,
            location_id=supplier_loop[p.pk].location_id,
            lead_time_days=supplier_loop[p.pk].lead_time_days,
        )
        for p in sorted(purchased, key=lambda p: p.pk)
    ]


def _sums(rows: QuerySet[Any]) -> dict[int, Decimal]:
    """Quantity per product of the rows."""
    totals = rows.order_by().values("product_id").annotate(total=Sum("quantity"))
    return dict(totals.values_list("product_id", "total"))


def bought_in_rows(
    *, plan: PushPlan, bought: Sequence[BoughtIn], start: date, review_days: int
) -> list[PushPlanLine]:
    """The plan's rows of its bought-in components, netted after the plan's own lots
    (already saved) so that their dependent demand counts them."""
    # push.py drafts the plan and calls this module: its netting is imported here, late.
    from production.planning.services.push import explain_product

    ids = [b.product.pk for b in bought]
    lock_products(ids)
    dependent = dependent_demand([b.product for b in bought])
    places = {(b.product.pk, b.location_id) for b in bought}
    on_hand = {
        level.product_id: level.on_hand
        for level in StockLevel.objects.filter(product_id__in=ids)
        if (level.product_id, level.location_id) in places
    }
    open_orders = _sums(CallOff.objects.filter(product_id__in=ids, status__in=OPEN_CALL_OFF))
    drafted = _sums(
        PushPlanLine.objects.filter(
            product_id__in=ids, plan__status=PushPlanStatus.DRAFT, quantity__gt=0
        ).exclude(plan=plan)
    )
    backorders = dict(
        DemandEvent.objects.filter(product_id__in=ids, open_backorder_quantity__gt=0)
        .values("product_id")
        .annotate(total=Sum("open_backorder_quantity"))
        .values_list("product_id", "total")
    )
    suppliers = Supplier.objects.in_bulk([b.supplier_id for b in bought])
    locations = Location.objects.in_bulk([b.location_id for b in bought])
    due = timezone.make_aware(datetime.combine(start, time.min))
    rows = []
    zero = Decimal("0")
    for b in bought:
        pk = b.product.pk
        explanation = explain_product(
            b.product,
            forecast=getattr(b.product, "forecast", None),
            on_hand=on_hand.get(pk, zero),
            open_orders=open_orders.get(pk, zero) + drafted.get(pk, zero),
            backorders=backorders.get(pk, zero),
            start=start,
            review_days=review_days,
            dependent=dependent.get(pk, zero),
            lead_time_days=float(b.lead_time_days),
        )
        explanation.update(
            {
                "replenished_by": CALL_OFF,
                "supplier": suppliers[b.supplier_id].code,
                "location": locations[b.location_id].code,
                "open_call_offs": float(open_orders.get(pk, zero)),
                "other_drafts": float(drafted.get(pk, zero)),
                "due_at": (due + timedelta(days=float(b.lead_time_days))).isoformat(),
            }
        )
        rows.append(
            PushPlanLine(
                plan=plan,
                product=b.product,
                quantity=Decimal(str(explanation["quantity"])),
                explanation=explanation,
            )
        )
    return rows


def release_call_offs(rows: Sequence[PushPlanLine], *, actor_id: int | None) -> None:
    """One call-off per bought-in lot of a plan being released, linked from its row."""
    rows = [r for r in rows if r.quantity > 0]
    if not rows:
        return
    suppliers = Supplier.objects.in_bulk(
        {r.explanation["supplier"] for r in rows}, field_name="code"
    )
    locations = Location.objects.in_bulk(
        {r.explanation["location"] for r in rows}, field_name="code"
    )
    created = call_offs_create_many(
        [
            NewCallOff(
                supplier=suppliers[r.explanation["supplier"]],
                product=r.product,
                location=locations[r.explanation["location"]],
                quantity=r.quantity,
            )
            for r in rows
        ],
        actor_id=actor_id,
    )
    for row, call_off in zip(rows, created, strict=True):
        row.call_off = call_off
    PushPlanLine.objects.bulk_update(rows, ["call_off"])
