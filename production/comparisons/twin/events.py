"""Event by event, for lines with parallel machines: FCFS queues at every station.

With one machine per station the max-plus recursions of `production.comparisons.twin.line` are
exact and fast. With parallel machines jobs can overtake each other, and a station
serves whoever arrived first; this module runs that as a plain discrete-event
simulation (a heap of departures, a FIFO queue per station), with the same release
rules as the recursions:

- kanban: loops of cards between supermarkets (cells). Demand claims containers from
  the last supermarket; a container taken frees its card, which releases one job into
  the cell if that cell's input supermarket has a container (taken at release).
- CONWIP: `cap` tokens; demand signals queue FIFO; a finished job hands its token on.
- open: releases are given from outside (`release`), e.g. the push planner's lots,
  with `run_until` advancing the clock to each release.

A job's processing times are `proc(cell_job_index)` per station, the same indexing as
the recursions, so both give the same numbers on one-machine lines.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

# (loop, job index in that loop) -> processing time at each station
Times = Callable[[int, int], "Sequence[float] | NDArray[np.float64]"]


@dataclass
class _Station:
    machines: int
    busy: int = 0
    queue: deque[tuple[int, int, int]] = field(default_factory=deque)


class EventLine:
    """Stations in series; `cells` groups station indexes between supermarkets.

    `loops` are independent card loops sharing the line (one per product for several
    products, each with its own `cards` per cell); `times(loop, j)` gives the j-th job
    of a loop its processing time at each station.
    """

    def __init__(
        self,
        machines: Sequence[int],
        cells: Sequence[Sequence[int]],
        times: Times,
        *,
        loops: int = 1,
        cards: Sequence[Sequence[int]] | None = None,
        conwip_cap: int | None = None,
    ) -> None:
        self.stations = [_Station(m) for m in machines]
        self.cells = [list(c) for c in cells]
        self.cell_of = {i: c for c, stations in enumerate(self.cells) for i in stations}
        self.times = times
        self.now = 0.0
        self._heap: list[tuple[float, int, int, int, int]] = []  # time, seq, loop, job, station
        self._seq = 0
        n_loops = len(cards) if cards is not None else loops
        self.cards = [list(c) for c in cards] if cards is not None else [[0] * len(cells)] * n_loops
        self.stock = [list(c) for c in self.cards]  # full containers per supermarket
        self.free_cards = [[0] * len(cells) for _ in range(n_loops)]
        self.claims = [0] * n_loops  # demand waiting for a container
        self.started = [[0] * len(cells) for _ in range(n_loops)]  # jobs released per cell
        self.conwip_cap = conwip_cap
        self.tokens = conwip_cap or 0
        self.backlog: deque[int] = deque()
        self.release_at: dict[tuple[int, int], float] = {}
        self.done_at: dict[tuple[int, int], float] = {}
        self._job_times: dict[tuple[int, int, int], Sequence[float] | NDArray[np.float64]] = {}

    # --- releases -----------------------------------------------------------------
    def _start(self, loop: int, cell: int) -> None:
        j = self.started[loop][cell]
        self.started[loop][cell] += 1
        if cell == 0:
            self.release_at[(loop, j)] = self.now
        self._job_times[(loop, cell, j)] = self.times(loop, j)
        self._arrive(loop, j, self.cells[cell][0])

    def release(self, loop: int = 0) -> None:
        """An open line: release the loop's next job now (the push planner's call)."""
        self._start(loop, 0)

    def _try_release(self, loop: int, cell: int) -> None:
        while self.free_cards[loop][cell] > 0 and (cell == 0 or self.stock[loop][cell - 1] > 0):
            self.free_cards[loop][cell] -= 1
            if cell > 0:
                self.stock[loop][cell - 1] -= 1
                self.free_cards[loop][cell - 1] += 1
            self._start(loop, cell)
            if cell > 0:
                self._try_release(loop, cell - 1)

    def signal(self, loop: int) -> None:
        """Demand has claimed one container of the loop's last supermarket."""
        if self.conwip_cap is not None:
            self.backlog.append(loop)
            self._feed_conwip()
            return
        last = len(self.cells) - 1
        if self.stock[loop][last] > 0:
            self.stock[loop][last] -= 1
            self.free_cards[loop][last] += 1
            self._try_release(loop, last)
        else:
            self.claims[loop] += 1

    def _feed_conwip(self) -> None:
        while self.tokens > 0 and self.backlog:
            self.tokens -= 1
            self._start(self.backlog.popleft(), 0)

    # --- stations -----------------------------------------------------------------
    def _arrive(self, loop: int, j: int, station: int) -> None:
        s = self.stations[station]
        if s.busy < s.machines:
            s.busy += 1
            self._depart_later(loop, j, station)
        else:
            s.queue.append((loop, j, station))

    def _depart_later(self, loop: int, j: int, station: int) -> None:
        cell = self.cell_of[station]
        t = self.now + self._job_times[(loop, cell, j)][station]
        heapq.heappush(self._heap, (t, self._seq, loop, j, station))
        self._seq += 1

    def _depart(self, loop: int, j: int, station: int) -> None:
        s = self.stations[station]
        if s.queue:
            self._depart_later(*s.queue.popleft())
        else:
            s.busy -= 1
        cell = self.cell_of[station]
        if station != self.cells[cell][-1]:
            self._arrive(loop, j, station + 1)
            return
        del self._job_times[(loop, cell, j)]
        last = len(self.cells) - 1
        if cell < last:
            self.stock[loop][cell] += 1
            self._try_release(loop, cell + 1)
            return
        self.done_at[(loop, j)] = self.now
        if self.conwip_cap is not None:
            self.tokens += 1
            self._feed_conwip()
        elif self.claims[loop] > 0:
            self.claims[loop] -= 1
            self.free_cards[loop][last] += 1
            self._try_release(loop, last)
        else:
            self.stock[loop][last] += 1

    def run_until(self, t: float) -> None:
        """Process every departure up to time t (inclusive), then stand at t."""
        while self._heap and self._heap[0][0] <= t:
            time, _, loop, j, station = heapq.heappop(self._heap)
            self.now = time
            self._depart(loop, j, station)
        self.now = max(self.now, t)

    def run(self, signals: Sequence[tuple[float, int]]) -> None:
        """Feed demand signals (time, loop) in time order, then run to the end."""
        for t, loop in signals:
            self.run_until(t)
            self.signal(loop)
        self.run_until(float("inf"))
