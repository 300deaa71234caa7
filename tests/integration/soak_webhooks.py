"""The soak's webhooks: the ERP's receiver, and what must hold of its deliveries.

After the faults and the sweep, every delivery the outbox holds has succeeded and reached
the receiver, signed; by delivery id (`webhook-id`) each arrived exactly once once
de-duplicated, as a receiver is told to de-duplicate; and each pull signal made one
delivery of each subscribed type.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.api.receiver import Receiver
from tests.integration.soak import Soak


def webhook_outcome(soak: Soak, receiver: Receiver) -> tuple[list[str], dict[str, Any]]:
    """The problems found (empty when all held) and the figures of the deliveries."""
    from kanban.models import PullSignal
    from production.webhooks.models import WebhookDelivery

    report = soak.deliver()
    with soak.database() as db:
        rows = db.execute(
            f"SELECT message_id, event_type, status FROM {WebhookDelivery._meta.db_table}"
        ).fetchall()
        signals_row = db.execute(f"SELECT count(*) FROM {PullSignal._meta.db_table}").fetchone()
    signals = int(signals_row[0]) if signals_row else 0
    stored = {message_id: (event_type, status) for message_id, event_type, status in rows}
    arrivals = Counter(r["headers"].get("webhook-id") for r in receiver.received)
    found: list[str] = []
    if not stored:
        found.append("no webhook delivery was made")
    if pending := [m for m, (_, status) in stored.items() if status != "succeeded"]:
        found.append(f"{len(pending)} deliveries not succeeded, e.g. {pending[:3]} ({report})")
    if missing := sorted(set(stored) - set(arrivals)):
        found.append(f"{len(missing)} deliveries never reached the receiver: {missing[:3]}")
    if unknown := sorted(set(arrivals) - set(stored), key=str):
        found.append(f"{len(unknown)} arrivals of no stored delivery: {unknown[:3]}")
    if unsigned := [r for r in receiver.received if not r["verified"]]:
        found.append(f"{len(unsigned)} arrivals with a signature that does not verify")
    by_type = Counter(event_type for event_type, _ in stored.values())
    for event_type in ("card.signalled", "work_order.created"):
        if by_type[event_type] != signals:
            found.append(f"{by_type[event_type]} {event_type} deliveries for {signals} signals")
    figures = {
        "webhook_deliveries": len(stored),
        "webhook_arrivals": sum(arrivals.values()),
        "webhook_repeats": sum(n - 1 for n in arrivals.values() if n > 1),
        "webhook_sweep_s": report.get("seconds"),
    }
    return found, figures
