"""All writes of the kanban app. Each public function is one transaction.

`cards` moves cards through their cycle, `holds` holds and releases cards and loops
and issues one-time cards, `undo` puts back a container marked empty by mistake, `opening` opens loops (one, or a file's at once), `loops` applies their sizing and
brings them in line with stock, `loop_changes` changes and archives them, `sizing` stores the loops' recommended card counts.
"""

from kanban.services.cards import CARD_TRANSITIONS, allowed_moves, card_move, wip_in_process
from kanban.services.holds import (
    card_hold,
    card_release,
    loop_hold,
    loop_issue_one_time_card,
    loop_release,
)
from kanban.services.loop_changes import loop_archive, loop_update
from kanban.services.loops import (
    loop_apply_sizing,
    loop_set_safety_factor,
    loops_out_of_sync,
    loops_resync,
)
from kanban.services.opening import LoopOpening, Opening, loop_create, loops_open
from kanban.services.sizing import demand_in_window, loop_max_cards, loop_size, loops_size
from kanban.services.undo import card_move_undo

__all__ = [
    "CARD_TRANSITIONS",
    "LoopOpening",
    "Opening",
    "allowed_moves",
    "card_hold",
    "card_move",
    "card_move_undo",
    "card_release",
    "demand_in_window",
    "loop_apply_sizing",
    "loop_archive",
    "loop_create",
    "loop_hold",
    "loop_issue_one_time_card",
    "loop_max_cards",
    "loop_release",
    "loop_set_safety_factor",
    "loop_size",
    "loop_update",
    "loops_open",
    "loops_out_of_sync",
    "loops_resync",
    "loops_size",
    "wip_in_process",
]
