"""The line twin: a discrete-event model of a production line, in numpy, with no Django.

Jobs flow through stations in series (each with identical parallel machines). With
one machine per station they are timed by vectorised max-plus recursions
(`production.comparisons.twin.line`); parallel machines let jobs overtake, and those lines run
event by event, FCFS at every station (`production.comparisons.twin.events`). Three policies
decide when jobs are released: kanban cards, a CONWIP cap, or the push planner
that runs the live push lines (`production.planning.core`). `compare` runs a spec
(see `production.comparisons.twin.spec`) through each policy and reports what the numbers say.
"""

from production.comparisons.twin.compare import compare
from production.comparisons.twin.spec import SpecError, parse_spec

__all__ = ["SpecError", "compare", "parse_spec"]
