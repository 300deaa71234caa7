"""Pure planning arithmetic (no Django): safety stock, netting, lot sizing."""

from production.planning.core import (
    LOT_SIZING_POLICIES,
    lot_size,
    net_requirement,
    safety_stock,
    service_level_z,
)

__all__ = [
    "LOT_SIZING_POLICIES",
    "lot_size",
    "net_requirement",
    "safety_stock",
    "service_level_z",
]
