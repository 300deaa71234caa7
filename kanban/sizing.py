"""Kanban sizing maths (no Django): N = ceil(D x L x (1 + a) / C)."""

from __future__ import annotations

import math
from decimal import Decimal


def recommended_card_count(
    *,
    daily_demand: Decimal,
    lead_time_days: Decimal,
    safety_factor: Decimal,
    container_quantity: Decimal,
) -> int:
    """Cards a loop needs to cover demand over the replenishment lead time, plus safety.

    D = mean demand per day, L = replenishment lead time in days, a = safety factor,
    C = container quantity. A loop keeps at least one card, or it could never signal.
    """
    if container_quantity <= 0:
        raise ValueError("container quantity must be positive")
    if daily_demand < 0 or lead_time_days < 0 or safety_factor < 0:
        raise ValueError("demand, lead time and safety factor cannot be negative")
    raw = daily_demand * lead_time_days * (1 + safety_factor) / container_quantity
    return max(1, math.ceil(raw))
