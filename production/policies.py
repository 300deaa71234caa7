"""Replenishment policies: what answers demand on a line, picked by the line's mode.

`production` defines the contract and the push side; `kanban` registers the pull
policy when it loads (dependencies run one way).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol


@dataclass(frozen=True)
class Consumption:
    """Stock taken out of a location, after the level and the ledger were written."""

    product_id: int
    location_id: int
    quantity: Decimal
    demand_event_id: int | None = None
    work_order_id: int | None = None


@dataclass(frozen=True)
class SupplyLoop:
    """A live loop replenished by a supplier or a transfer, as the push planner and the
    twin read it: plain ids and numbers, nothing of the policy's own models."""

    product_id: int
    location_id: int
    source: str  # "supplier" or "transfer"
    supplier_id: int | None
    source_location_id: int | None
    lead_time_days: Decimal  # the supplier's, or the transfer's
    container_quantity: Decimal
    cards: int  # active cards


class ReplenishmentPolicy(Protocol):
    def stock_consumed(self, consumptions: Sequence[Consumption], *, actor_id: int | None) -> None:
        """React, in the caller's transaction, to stock consumed from products of its lines."""

    def mode_entered(self, *, line_id: int, actor_id: int | None) -> None:
        """A line switched to this policy's mode: bring its state in line."""

    def reconcile(self) -> list[str]:
        """Check (and repair) the policy's own state against stock; say what was found."""

    def active_cards_per_product(self, *, line_ids: Collection[int]) -> dict[int, int]:
        """For the twin: the policy's live card count per product of the lines (if it has
        cards), in one read whatever the number of lines."""

    def cards_by_status(self, *, line_id: int, now: datetime) -> list[dict[str, Any]]:
        """For dashboards: the line's cards by status, with the age of the oldest in each."""

    def supply_loops(self, *, product_ids: Collection[int]) -> list[SupplyLoop]:
        """The policy's live supplier and transfer loops of these products (not archived),
        in one read, by product then loop id."""


class ForecastPushPolicy:
    """Push lines answer demand from stock only; the scheduled planner releases orders."""

    def stock_consumed(self, consumptions: Sequence[Consumption], *, actor_id: int | None) -> None:
        return None

    def mode_entered(self, *, line_id: int, actor_id: int | None) -> None:
        return None

    def reconcile(self) -> list[str]:
        return []

    def active_cards_per_product(self, *, line_ids: Collection[int]) -> dict[int, int]:
        return {}

    def cards_by_status(self, *, line_id: int, now: datetime) -> list[dict[str, Any]]:
        return []

    def supply_loops(self, *, product_ids: Collection[int]) -> list[SupplyLoop]:
        return []


_policies: dict[str, ReplenishmentPolicy] = {"push": ForecastPushPolicy()}


def register_policy(mode: str, policy: ReplenishmentPolicy) -> None:
    _policies[mode] = policy


def registered_policies() -> dict[str, ReplenishmentPolicy]:
    return dict(_policies)


def policy_for(mode: str) -> ReplenishmentPolicy:
    try:
        return _policies[mode]
    except KeyError:
        raise LookupError(f"No replenishment policy is registered for mode {mode!r}") from None
