"""The soak's plant and its reconciler, run inside the soak's own database.

`python -m tests.integration.soak_plant seed` (with DATABASE_URL of that database) makes
an ERP user with a token, one line and its products with full loops, and prints them as
JSON; `... reconcile` runs the reconciler once, as Celery beat would, and prints its
report. The soak runs these as processes of their own: its database is not the test's.
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


def seed() -> dict[str, object]:
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
    return {"token": token, "products": products}


def reconcile_once() -> dict[str, object]:
    from production.reconcile import reconcile

    report = reconcile(stale_after=timedelta(0))
    return {
        "requeued_events": report["requeued_events"],
        "levels_repaired": len(report["levels_repaired"]),
        "policy_findings": report["policy_findings"],
    }


def main(command: str) -> None:
    django.setup()
    commands = {"seed": seed, "reconcile": reconcile_once}
    print(json.dumps(commands[command]()))


if __name__ == "__main__":
    main(sys.argv[1])
