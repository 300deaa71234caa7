"""What `manage.py check_integrity` verifies on a database (a restored backup, say).

Each check reads in sets (a few queries whatever the plant) and returns its findings; it
changes nothing. The core checks the stock ledger and the webhook deliveries; other parts
register their own (`register_integrity_check`: kanban checks cards against stock and
its pull signals), as they register replenishment policies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce

from production.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery

IntegrityCheck = Callable[[], list[str]]
SHOWN = 20  # findings listed per check; the count says how many there are


@dataclass(frozen=True)
class CheckResult:
    name: str
    findings: list[str]
    count: int


_checks: dict[str, IntegrityCheck] = {}


def register_integrity_check(name: str, check: IntegrityCheck) -> None:
    _checks[name] = check


def levels_equal_the_ledger() -> list[str]:
    """Every stock level is the sum of its moves (one pass over the ledger)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT coalesce(level.product_id, ledger.product_id),
                   coalesce(level.location_id, ledger.location_id),
                   coalesce(level.on_hand, 0), coalesce(ledger.total, 0)
            FROM production_stocklevel AS level
            FULL OUTER JOIN (
                SELECT product_id, location_id, sum(quantity) AS total
                FROM production_stockmove GROUP BY product_id, location_id
            ) AS ledger
              ON ledger.product_id = level.product_id AND ledger.location_id = level.location_id
            WHERE coalesce(level.on_hand, 0) <> coalesce(ledger.total, 0)
            ORDER BY 1, 2
            """
        )
        rows = cursor.fetchall()
    return [
        f"product {product} at location {location}: level {on_hand}, ledger {total}"
        for product, location, on_hand, total in rows
    ]


def deliveries_are_consistent() -> list[str]:
    """Each delivery's status agrees with its timestamps and its logged attempts."""
    S = DeliveryStatus
    attempts = (
        WebhookAttempt.objects.filter(delivery=OuterRef("pk"))
        .order_by()
        .values("delivery")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rules = {
        "an unknown status": ~Q(status__in=S.values),
        "succeeded without a delivery time": Q(status=S.SUCCEEDED, delivered_at__isnull=True),
        "pending with no next attempt": Q(status=S.PENDING, next_attempt_at__isnull=True),
        "finished with a next attempt": Q(
            status__in=[S.SUCCEEDED, S.FAILED], next_attempt_at__isnull=False
        ),
        "finished without an attempt": Q(status__in=[S.SUCCEEDED, S.FAILED], attempt_count=0),
        "more attempts counted than logged": Q(attempt_count__gt=F("logged")),
    }
    findings = []
    rows = (
        WebhookDelivery.objects.annotate(logged=Coalesce(Subquery(attempts), 0))
        .annotate(
            **{
                f"rule_{i}": ExpressionWrapper(rule, output_field=BooleanField())
                for i, rule in enumerate(rules.values())
            }
        )
        .filter(Q(*rules.values(), _connector=Q.OR))
        .order_by("pk")
        .values("pk", "message_id", *(f"rule_{i}" for i in range(len(rules))))
    )
    for row in rows:
        broken = [text for i, text in enumerate(rules) if row[f"rule_{i}"]]
        findings.append(f"delivery {row['message_id']} (id {row['pk']}): {', '.join(broken)}")
    return findings


register_integrity_check("stock levels equal the ledger", levels_equal_the_ledger)
register_integrity_check("webhook deliveries are consistent", deliveries_are_consistent)


def check_integrity() -> list[CheckResult]:
    results = []
    for name, check in _checks.items():
        findings = check()
        results.append(CheckResult(name=name, findings=findings[:SHOWN], count=len(findings)))
    return results
