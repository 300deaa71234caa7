"""All writes of the production app. Each public function is one transaction."""

from production.services.demand import demand_record, demand_record_many
from production.services.demand_processing import demand_process_pending
from production.services.lines import (
    line_mode_switches_apply_due,
    line_switch_mode,
    line_switch_pending,
)
from production.services.stock import stock_adjust, stock_consume, stock_receive
from production.services.work_orders import (
    WORK_ORDER_TRANSITIONS,
    work_order_cancel,
    work_order_complete,
    work_order_create,
    work_order_release,
    work_order_start,
    work_order_transition,
)

__all__ = [
    "WORK_ORDER_TRANSITIONS",
    "demand_process_pending",
    "demand_record",
    "demand_record_many",
    "line_mode_switches_apply_due",
    "line_switch_mode",
    "line_switch_pending",
    "stock_adjust",
    "stock_consume",
    "stock_receive",
    "work_order_cancel",
    "work_order_complete",
    "work_order_create",
    "work_order_release",
    "work_order_start",
    "work_order_transition",
]
