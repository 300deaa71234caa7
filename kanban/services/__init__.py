"""All writes of the kanban app. Each public function is one transaction.

`cards` moves cards through their cycle, `loops` opens loops and applies their
sizing, `sizing` stores a loop's recommended card count.
"""

from kanban.services.cards import CARD_TRANSITIONS, allowed_moves, card_move, wip_in_process
from kanban.services.loops import loop_apply_sizing, loop_create, loops_resync
from kanban.services.sizing import demand_in_window, loop_size, measured_lead_time_days

__all__ = [
    "CARD_TRANSITIONS",
    "allowed_moves",
    "card_move",
    "demand_in_window",
    "loop_apply_sizing",
    "loop_create",
    "loop_size",
    "loops_resync",
    "measured_lead_time_days",
    "wip_in_process",
]
