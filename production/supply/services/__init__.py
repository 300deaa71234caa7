"""All writes of the supply concern, one transaction each."""

from production.supply.services.late import replenishment_mark_late
from production.supply.services.orders import (
    NewCallOff,
    NewTransferOrder,
    call_off_cancel,
    call_off_confirm,
    call_off_receive,
    call_off_ship,
    call_offs_create_many,
    register_order_follower,
    transfer_order_cancel,
    transfer_order_pick,
    transfer_order_receive,
    transfer_orders_create_many,
)
from production.supply.services.suppliers import (
    supplier_archive,
    supplier_create,
    supplier_update,
)

__all__ = [
    "NewCallOff",
    "NewTransferOrder",
    "call_off_cancel",
    "call_off_confirm",
    "call_off_receive",
    "call_off_ship",
    "call_offs_create_many",
    "register_order_follower",
    "replenishment_mark_late",
    "supplier_archive",
    "supplier_create",
    "supplier_update",
    "transfer_order_cancel",
    "transfer_order_pick",
    "transfer_order_receive",
    "transfer_orders_create_many",
]
