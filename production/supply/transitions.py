"""The status tables of call-offs and transfer orders: what may follow what.

Plain data, no Django queries: the services apply them, tests read them.
"""

from __future__ import annotations

from production.supply.models import CallOffStatus, TransferStatus

CO = CallOffStatus
TO = TransferStatus

CALL_OFF_TRANSITIONS: dict[str, frozenset[str]] = {
    CO.OPEN: frozenset({CO.CONFIRMED, CO.CANCELLED}),
    CO.CONFIRMED: frozenset({CO.SHIPPED, CO.CANCELLED}),
    CO.SHIPPED: frozenset({CO.RECEIVED, CO.CANCELLED}),  # cancelled: lost on the way
    CO.RECEIVED: frozenset(),
    CO.CANCELLED: frozenset(),
}

TRANSFER_TRANSITIONS: dict[str, frozenset[str]] = {
    TO.OPEN: frozenset({TO.PICKED, TO.CANCELLED}),
    TO.PICKED: frozenset({TO.RECEIVED, TO.CANCELLED}),  # cancelled: put back at the source
    TO.RECEIVED: frozenset(),
    TO.CANCELLED: frozenset(),
}

# On the way: cancelled only by someone who says why (the API's cancel), never as the side
# effect of a card retired or a loop archived, which would forget goods still coming.
IN_TRANSIT = (CO.SHIPPED, TO.PICKED)

# The statuses in which an order is still to come (and can be late).
OPEN_CALL_OFF = (CO.OPEN, CO.CONFIRMED, CO.SHIPPED)
OPEN_TRANSFER = (TO.OPEN, TO.PICKED)

# What a card going full at the plant walks through, from each open status: the goods are
# there, so the steps nobody recorded are recorded now (each with its event).
CALL_OFF_PATH_TO_RECEIVED: dict[str, tuple[str, ...]] = {
    CO.OPEN: (CO.CONFIRMED, CO.SHIPPED, CO.RECEIVED),
    CO.CONFIRMED: (CO.SHIPPED, CO.RECEIVED),
    CO.SHIPPED: (CO.RECEIVED,),
}
TRANSFER_PATH_TO_RECEIVED: dict[str, tuple[str, ...]] = {
    TO.OPEN: (TO.PICKED, TO.RECEIVED),
    TO.PICKED: (TO.RECEIVED,),
}

TIMESTAMP_OF: dict[str, str] = {
    "confirmed": "confirmed_at",
    "shipped": "shipped_at",
    "picked": "picked_at",
    "received": "received_at",
    "cancelled": "cancelled_at",
}
