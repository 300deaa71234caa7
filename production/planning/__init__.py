"""Pure planning arithmetic (no Django): safety stock, netting, lot sizing."""

from production.planning.core import (
    LOT_SIZING_POLICIES,
    lot_size,
    lot_sizes,
    net_requirement,
    net_requirements,
    safety_stock,
    safety_stocks,
    service_level_z,
)

__all__ = [
    "LOT_SIZING_POLICIES",
    "lot_size",
    "lot_sizes",
    "net_requirement",
    "net_requirements",
    "safety_stock",
    "safety_stocks",
    "service_level_z",
]
