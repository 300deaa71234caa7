"""The soak's plant and its reconciler, run inside the soak's own database.

`python -m tests.integration.soak_plant seed` (with DATABASE_URL of that database) makes
an ERP user with a token, one line and its products with full loops (and, given a URL,
the ERP's webhook subscription), and prints them as JSON; `... reconcile` runs the
reconciler once, as Celery beat would, and prints its report; `... deliver` runs the
webhook sweep until nothing is pending. The soak runs these as processes of their own: its database is not the test's.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from decimal import Decimal
from typing import cast

import django

# (container quantity, cards): a few products run out and backorder during a soak.
LOOPS = [(10, 20), (5, 10), (20, 30), (8, 6), (12, 40), (25, 80)]


def seed(webhook_url: str = "") -> dict[str, object]:
    from knox.models import AuthToken

    from kanban.services import loop_create
    from production.models import Product
    from tests.factories import LineFactory, LocationFactory, ProductFactory, UserFactory

    user = UserFactory(username="soak-erp", roles=["integration"])
    _, token = AuthToken.objects.create(user=user)
    line = LineFactory(code="soak", wip_limit=1000)
    supermarket = LocationFactory(code="soak-sm")
    products = []
    for n, (container, cards) in enumerate(LOOPS):
        product = cast(
            Product,
            ProductFactory(
                sku=f"SOAK-{n}",
                line=line,
                supermarket=supermarket,
                container_quantity=Decimal(container),
            ),
        )
        loop_create(product=product, card_count=cards)
        products.append({"sku": product.sku, "container": container, "cards": cards})
    plant: dict[str, object] = {"token": token, "products": products}
    if webhook_url:  # the ERP's receiver, subscribed as the ERP would
        from production.webhooks.services import webhook_subscription_create

        subscription = webhook_subscription_create(
            url=webhook_url, event_types=WEBHOOK_EVENTS, actor_id=user.pk
        )
        plant["webhook_secret"] = subscription.secret
    return plant


# One delivery per pull signal each: few enough that the soak stays short.
WEBHOOK_EVENTS = ["card.signalled", "work_order.created"]


def deliver_due(timeout: float = 150.0) -> dict[str, object]:
    """Run the delivery sweep (as beat does every 30 s) every 2 s until no delivery is
    pending or `timeout` passed; a delivery held by a killed worker waits out its lease."""
    import time

    from production.webhooks.delivery import webhook_deliveries_queue_due
    from production.webhooks.models import DeliveryStatus, WebhookDelivery

    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if not WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).exists():
            break
        webhook_deliveries_queue_due()
        time.sleep(2)
    statuses = WebhookDelivery.objects.values_list("status", flat=True)
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return {"deliveries": counts, "seconds": round(time.monotonic() - began, 1)}


def reconcile_once() -> dict[str, object]:
    from production.reconcile import reconcile

    report = reconcile(stale_after=timedelta(0))
    return {
        "requeued_events": report["requeued_events"],
        "levels_repaired": len(report["levels_repaired"]),
        "policy_findings": report["policy_findings"],
    }


def main(command: str, *args: str) -> None:
    django.setup()
    commands = {"seed": seed, "reconcile": reconcile_once, "deliver": deliver_due}
    print(json.dumps(commands[command](*args)))


if __name__ == "__main__":
    main(*sys.argv[1:])
