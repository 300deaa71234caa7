"""All writes of the kanban app. Each public function is one transaction.

`cards` moves cards through their cycle, `loops` opens loops, applies their sizing and
brings them in line with stock, `sizing` stores the loops' recommended card counts.
"""

from kanban.services.cards import CARD_TRANSITIONS, allowed_moves, card_move, wip_in_process
from kanban.services.loops import loop_apply_sizing, loop_create, loops_out_of_sync, loops_resync
from kanban.services.sizing import demand_in_window, loop_size, loops_size

__all__ = [
    "CARD_TRANSITIONS",
    "allowed_moves",
    "card_move",
    "demand_in_window",
    "loop_apply_sizing",
    "loop_create",
    "loop_size",
    "loops_out_of_sync",
    "loops_resync",
    "loops_size",
    "wip_in_process",
]
