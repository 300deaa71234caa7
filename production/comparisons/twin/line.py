"""Max-plus recursions for a serial line: when each job leaves each station.

One machine per station, first come first served; the departure recursion

    D(n) = max(A(n), D(n-1)) + p(n)

unrolls, with P the running sum of p, into

    D(n) = P(n) + max(D(0), max_{k<=n} (A(k) - P(k) + p(k)))

a cumulative sum and a cumulative max: one numpy pass per station for every job and
every replication at once (arrays are `(replications, jobs)`).

Closed loops (kanban cards, a CONWIP cap) gate a job's release on the completion of
the job `N` places earlier. In blocks of at most `N` jobs every gate refers to an
earlier block, so each block is again a plain open-line pass. `closed_loop_exact`
runs the same loops job by job in plain Python (the test oracle of the blocks).
Parallel machines let jobs overtake each other; those lines run event by event in
`production.twin.events`.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

CHUNK_JOBS = 1024  # jobs whose running sums `closed_loop` holds at once


def single_machine(arrival: Array, proc: Array, free_at: Array | None = None) -> Array:
    """Departures from a one-machine FCFS station; `free_at` is when it frees up (per row)."""
    total = np.cumsum(proc, axis=-1)
    best = np.maximum.accumulate(arrival - total + proc, axis=-1)
    if free_at is not None:
        best = np.maximum(best, free_at[..., None])
    return total + best


def open_line(
    release: Array, proc: Array, state: list[Array] | None = None
) -> tuple[Array, list[Array]]:
    """Run jobs released at `release` (rows, jobs), in that order, through every station.

    `proc` is `(stations, rows, jobs)`. `state` holds when each station frees up (per
    row) and is carried from one call to the next, so a line can be fed in batches.
    Returns the departures from the last station and the new state.
    """
    rows = release.shape[0]
    if state is None:
        state = [np.zeros(rows) for _ in range(proc.shape[0])]
    arrival = release
    for i in range(proc.shape[0]):
        arrival = single_machine(arrival, proc[i], state[i])
        if arrival.shape[1]:
            state[i] = arrival[:, -1].copy()
    return arrival, state


def closed_loop(
    signal: Array, proc: Array, cells: Sequence[Sequence[int]], cards: Sequence[int]
) -> tuple[Array, list[Array]]:
    """Kanban loops in series on one-machine stations, vectorised.

    `cells` groups station indexes between supermarkets; cell `c` has `cards[c]` cards
    and the supermarket after it starts with that many full containers. Job `j` of cell
    `c` is released when the card freed by the `j`-th withdrawal from its supermarket is
    back and its input container is in the upstream supermarket:

        W(j)   = max(signal(j), D_L(j - N_L))            (demand takes FG container j)
        R_c(j) = max(R_{c+1}(j), D_{c-1}(j - N_{c-1}))     (R_{L+1} = W, D_0 = -inf)

    One cell with `N` cards is CONWIP with cap `N` (or a single kanban loop). Returns
    the release into the first cell and the departures of every cell `(rows, jobs)`.
    """
    rows, jobs = signal.shape
    n_cells = len(cells)
    release = [np.zeros((rows, jobs)) for _ in range(n_cells)]
    done = [np.zeros((rows, jobs)) for _ in range(n_cells)]
    block = max(1, min(cards))
    span = block * max(1, CHUNK_JOBS // block)
    # A chunk of jobs at a time: each station's running sum P and P(k-1), laid out job
    # by job. A block then needs no cumsum of its own:
    #     D = P + max(cummax(A - P(k-1)), free - P(b-1)) over its jobs.
    total = np.empty((proc.shape[0], span, rows))
    before = np.empty((proc.shape[0], span, rows))
    free = np.zeros((proc.shape[0], rows))
    work = np.empty((block, rows))  # A - P(k-1), then its running max
    stage = np.empty((block, rows))  # departures between the stations of a cell
    for lo in range(0, jobs, span):
        hi = min(lo + span, jobs)
        _running_sums(proc[:, :, lo:hi], total, before, carry_on=lo > 0)
        for b in range(lo, hi, block):
            e = min(b + block, hi)
            _release_block(signal, release, done, cards, b, e)
            k = slice(b - lo, e - lo)
            for c, stations in enumerate(cells):
                arrival = release[c][:, b:e].T
                for i in stations:
                    w = work[: e - b]
                    np.subtract(arrival, before[i, k], out=w)
                    np.maximum(w[0], free[i] - before[i, b - lo], out=w[0])
                    np.maximum.accumulate(w, axis=0, out=w)
                    arrival = done[c][:, b:e].T if i == stations[-1] else stage[: e - b]
                    np.add(w, total[i, k], out=arrival)
                    free[i] = arrival[-1]
    return release[0], done


def _running_sums(proc: Array, total: Array, before: Array, *, carry_on: bool) -> None:
    """Fill `total` with the running sums P of a chunk of times `(stations, rows, jobs)`,
    job by job `(stations, jobs, rows)`, and `before` with P(k-1) = P(k) - p(k).

    With `carry_on`, the sums go on from the end of the previous (full) chunk held in
    `total`: adding that to the first time and summing on gives the same numbers as
    one cumsum over the whole run."""
    n = proc.shape[-1]
    carry = total[:, -1].copy() if carry_on else 0.0
    np.copyto(before[:, :n], proc.transpose(0, 2, 1))
    np.copyto(total[:, :n], before[:, :n])
    total[:, 0] += carry
    np.cumsum(total[:, :n], axis=1, out=total[:, :n])
    np.subtract(total[:, :n], before[:, :n], out=before[:, :n])


def _release_block(
    signal: Array, release: list[Array], done: list[Array], cards: Sequence[int], b: int, e: int
) -> None:
    """Releases into every cell of jobs [b, e), whose gates all refer to earlier blocks."""
    n_cells = len(release)
    gate = signal[:, b:e]
    for c in range(n_cells - 1, -1, -1):
        out = release[c][:, b:e]
        np.copyto(out, gate)
        if c == n_cells - 1:
            _gate_on(out, done[c], b, e, cards[c])
        if c > 0:
            _gate_on(out, done[c - 1], b, e, cards[c - 1])
        gate = out


def _gate_on(gate: Array, done: Array, b: int, e: int, cards: int) -> None:
    """gate[j] = max(gate[j], done[j - cards]) for jobs j in [b, e) with j >= cards."""
    lo, hi = b - cards, e - cards
    if hi > 0:
        cut = max(0, -lo)
        np.maximum(gate[:, cut:], done[:, max(lo, 0) : hi], out=gate[:, cut:])


def closed_loop_exact(
    signal: Sequence[float],
    proc: Sequence[Sequence[float]],
    cells: Sequence[Sequence[int]],
    cards: Sequence[int],
) -> tuple[list[float], list[list[float]]]:
    """The same loops job by job for one replication (one-machine stations).

    Faster than the blocks when loops hold few cards, and the test oracle of
    `closed_loop`. (Parallel machines: `production.twin.events.EventLine`.) Each
    supermarket keeps the `N` latest departures in a min-heap: their minimum is the
    `(j - N + 1)`-th smallest of the first `j`, the container job `j` waits for.
    """
    machines = [1] * len(proc)  # one free time per station, kept as a one-entry heap
    jobs = len(signal)
    n_cells = len(cells)
    free = [[0.0] * m for m in machines]
    done: list[list[float]] = [[0.0] * jobs for _ in range(n_cells)]
    latest: list[list[float]] = [[] for _ in range(n_cells)]
    first_release = [0.0] * jobs

    def nth_done(c: int, j: int) -> float:
        # Departure of the container that job j (0-based) waits for, or -inf.
        if j < cards[c]:
            return -np.inf
        return latest[c][0]

    for j in range(jobs):
        gates = [0.0] * n_cells
        gate = max(signal[j], nth_done(n_cells - 1, j))
        for c in range(n_cells - 1, -1, -1):
            if c > 0:
                gate = max(gate, nth_done(c - 1, j))
            gates[c] = gate
        first_release[j] = gates[0]
        for c, stations in enumerate(cells):
            t = gates[c]
            for i in stations:
                heap = free[i]
                t = max(t, heap[0]) + proc[i][j]
                heapq.heapreplace(heap, t)
            done[c][j] = t
            keep = latest[c]
            if len(keep) < cards[c]:
                heapq.heappush(keep, t)
            elif t > keep[0]:
                heapq.heapreplace(keep, t)
    return first_release, done
