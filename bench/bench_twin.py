"""Benchmark: the line twin against an equivalent SimPy model of the same line.

A year of daily demand for 50 products on a 3-station line, under kanban, CONWIP and
push. Prints jobs simulated per second for both, the speed-up, and whether the two
agree (each KPI's gap against the combined standard error of the replications).
Then times 30 replications of 100,000 jobs through the vectorised recursion, and what
the like-for-like sweep of kanban cards adds to a comparison (with against without).

    .venv/bin/python bench/bench_twin.py [--sim-reps 3] [--twin-reps 8]

Figures are ratios measured in the same run; the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from production.comparisons.twin import policies as pol
from production.comparisons.twin.demand import container_signals, daily_demand
from production.comparisons.twin.distributions import Dist
from production.comparisons.twin.line import closed_loop, open_line
from production.comparisons.twin.metrics import Jobs, policy_metrics
from production.planning.core import lot_size, net_requirement, safety_stock
from production.planning.forecasting.methods import moving_average

PRODUCTS = 50
DAYS = 365
CONTAINER = 5.0
CARDS = 4
WIP_CAP = 60
MINUTES = (4.0, 4.4, 3.6)  # per unit; about 85% load on the bottleneck
DEMAND = Dist("gamma", 5.5, 0.6)  # units per product per day
STATIONS = [
    pol.Station(f"s{i}", 1, Dist("lognormal", m / 1440, 0.5)) for i, m in enumerate(MINUTES)
]
MODELS = [pol.ProductModel(f"P{i:02d}", CONTAINER, 1.0) for i in range(PRODUCTS)]
PLAN = pol.PushPlan(lot_sizing="containers", service_level=0.95)
KPIS = ("throughput_per_day", "wip_mean", "cycle_time_mean_days", "fill_rate", "fg_inventory_mean")


def demand_for(seed: int) -> list:
    rng = np.random.default_rng(seed)
    return [daily_demand(rng, dist=DEMAND, days=DAYS) for _ in range(PRODUCTS)]


# --- the twin -------------------------------------------------------------------------
def twin(policy: str, seed: int) -> tuple[Jobs, list[float], float]:
    demands = demand_for(seed)
    rng = np.random.default_rng(seed + 10_000)
    start = time.perf_counter()
    if policy == "kanban":
        jobs, initial = pol.kanban(rng, STATIONS, MODELS, demands, [CARDS] * PRODUCTS)
    elif policy == "conwip":
        jobs, initial = pol.conwip(rng, STATIONS, MODELS, demands, WIP_CAP, [CARDS] * PRODUCTS)
    else:
        initial = [CARDS * CONTAINER] * PRODUCTS
        jobs, initial, _ = pol.push(rng, STATIONS, MODELS, demands, PLAN, initial, DAYS)
    return jobs, initial, time.perf_counter() - start


# --- the same line in SimPy -----------------------------------------------------------
class SimPyLine:
    def __init__(self, seed: int) -> None:
        self.env = simpy.Environment()
        self.rng = np.random.default_rng(seed + 20_000)
        self.machines = [simpy.Resource(self.env, capacity=s.machines) for s in STATIONS]
        self.release: list[float] = []
        self.done: list[float] = []
        self.qty: list[float] = []
        self.product: list[int] = []
        self.order: list[int] = []

    def job(self, p: int, q: float, order: int, on_done=None):  # type: ignore[no-untyped-def]
        env = self.env
        self.release.append(env.now)
        k = len(self.done)
        self.done.append(np.nan)
        self.qty.append(q)
        self.product.append(p)
        self.order.append(order)
        times = [s.unit_time.sample_sum(self.rng, np.asarray([q]))[0] for s in STATIONS]
        for machine, t in zip(self.machines, times, strict=True):
            with machine.request() as req:
                yield req
                yield env.timeout(t)
        self.done[k] = env.now
        if on_done is not None:
            on_done()

    def jobs(self) -> Jobs:
        return Jobs(
            np.asarray(self.release),
            np.asarray(self.done),
            np.asarray(self.qty),
            np.asarray(self.product, dtype=np.intp),
            np.asarray(self.order, dtype=np.intp),
        )


def simpy_kanban(seed: int) -> tuple[Jobs, list[float], float]:
    """Each product: a FIFO store of full containers; a demand signal takes one (waiting
    if none) and its card releases one container of work, which refills the store."""
    demands = demand_for(seed)
    line = SimPyLine(seed)
    env = line.env
    stores = []
    for _ in range(PRODUCTS):
        store = simpy.Store(env)
        store.items.extend(["full"] * CARDS)
        stores.append(store)

    def claim(p: int):  # type: ignore[no-untyped-def]
        yield stores[p].get()
        env.process(line.job(p, CONTAINER, len(line.done), lambda: stores[p].put("full")))

    def signals(p: int, times: np.ndarray):  # type: ignore[no-untyped-def]
        for t in times:
            yield env.timeout(max(0.0, t - env.now))
            env.process(claim(p))

    for p, d in enumerate(demands):
        env.process(signals(p, container_signals(d, CONTAINER)))
    start = time.perf_counter()
    env.run()
    return line.jobs(), [CARDS * CONTAINER] * PRODUCTS, time.perf_counter() - start


def simpy_conwip(seed: int) -> tuple[Jobs, list[float], float]:
    """Signals queue FIFO for one of WIP_CAP tokens; a finished job gives its token back."""
    demands = demand_for(seed)
    line = SimPyLine(seed)
    env = line.env
    tokens = simpy.Container(env, capacity=WIP_CAP, init=WIP_CAP)
    merged = sorted((t, p) for p, d in enumerate(demands) for t in container_signals(d, CONTAINER))

    def order(p: int):  # type: ignore[no-untyped-def]
        yield tokens.get(1)
        yield env.process(line.job(p, CONTAINER, len(line.done)))
        yield tokens.put(1)

    def signals():  # type: ignore[no-untyped-def]
        for t, p in merged:
            yield env.timeout(max(0.0, t - env.now))
            env.process(order(p))

    env.process(signals())
    start = time.perf_counter()
    env.run()
    return line.jobs(), [CARDS * CONTAINER] * PRODUCTS, time.perf_counter() - start


def simpy_push(seed: int) -> tuple[Jobs, list[float], float]:
    """A planner process each morning: the same netting as the live push planner."""
    demands = demand_for(seed)
    line = SimPyLine(seed)
    env = line.env
    initial = [CARDS * CONTAINER] * PRODUCTS
    daily = np.stack([d.daily(DAYS) for d in demands])
    cum = [np.concatenate(([0.0], np.cumsum(d.quantities))) for d in demands]
    received = list(initial)
    released = [0.0] * PRODUCTS

    def receive(p: int, q: float) -> None:
        received[p] += q

    def planner():  # type: ignore[no-untyped-def]
        orders = 0
        for day in range(DAYS):
            yield env.timeout(day - env.now)
            seen = np.concatenate((daily[:, : PLAN.forecast_window_days], daily[:, :day]), axis=1)[
                :, -PLAN.forecast_window_days :
            ]
            forecast = moving_average(seen, 1, PLAN.forecast_window_days)[:, 0]
            sigma = seen.std(axis=1, ddof=1)
            for p, model in enumerate(MODELS):
                net = received[p] - cum[p][np.searchsorted(demands[p].times, day, side="right")]
                cover = model.lead_time_days + PLAN.review_days
                req = net_requirement(
                    forecast_over_horizon=float(forecast[p]) * cover,
                    safety_stock=safety_stock(
                        sigma_daily=float(sigma[p]),
                        lead_time_days=cover,
                        service_level=PLAN.service_level,
                    ),
                    on_hand=max(net, 0.0),
                    open_orders=released[p] - (received[p] - initial[p]),
                    backorders=max(-net, 0.0),
                )
                q = lot_size(
                    requirement=req,
                    policy=PLAN.lot_sizing,
                    container_quantity=CONTAINER,
                    fixed_quantity=None,
                    daily_demand=float(forecast[p]),
                    setup_cost=PLAN.setup_cost,
                    holding_cost_per_unit_day=PLAN.holding_cost_per_unit_day,
                )
                if q <= 0:
                    continue
                released[p] += q
                for part in pol._transfer_batches(q, CONTAINER):
                    env.process(line.job(p, part, orders, lambda p=p, part=part: receive(p, part)))
                orders += 1

    env.process(planner())
    start = time.perf_counter()
    env.run()
    return line.jobs(), initial, time.perf_counter() - start


SIMPY = {"kanban": simpy_kanban, "conwip": simpy_conwip, "push": simpy_push}


def kpis(jobs: Jobs, initial: list[float], seed: int) -> dict[str, float]:
    metrics, _ = policy_metrics(jobs, demand_for(seed), initial, DAYS)
    return metrics


def compare_policy(policy: str, twin_reps: int, sim_reps: int) -> None:
    t_jobs = t_time = s_jobs = s_time = 0.0
    t_k, s_k = [], []
    for r in range(twin_reps):
        # A twin run takes milliseconds, so one burst of load elsewhere on this shared
        # machine can double it: each replication is timed three times (the same seed,
        # the same jobs) and its median taken. SimPy runs take seconds; timed once.
        runs = [twin(policy, r) for _ in range(3)]
        jobs, initial, _ = runs[0]
        t_jobs += len(jobs.release)
        t_time += float(np.median([took for _, _, took in runs]))
        t_k.append(kpis(jobs, initial, r))
    for r in range(sim_reps):
        jobs, initial, took = SIMPY[policy](100 + r)
        s_jobs += len(jobs.release)
        s_time += took
        s_k.append(kpis(jobs, initial, 100 + r))
    t_rate, s_rate = t_jobs / t_time, s_jobs / s_time
    print(
        f"\n{policy}: twin {t_rate:,.0f} jobs/s, SimPy {s_rate:,.0f} jobs/s, speed-up x{t_rate / s_rate:,.0f}"
    )
    print(f"  {'kpi':22} {'twin':>10} {'simpy':>10} {'gap/se':>7}  agree")
    for k in KPIS:
        a = np.asarray([m[k] for m in t_k])
        b = np.asarray([m[k] for m in s_k])
        se = np.sqrt(
            a.var(ddof=1) / len(a) + (b.var(ddof=1) / len(b) if len(b) > 1 else a.var(ddof=1))
        )
        z = abs(a.mean() - b.mean()) / se if se > 0 else 0.0
        rel = abs(a.mean() - b.mean()) / max(abs(b.mean()), 1e-12)
        ok = "yes" if z < 3 or rel < 0.01 else "NO"
        print(f"  {k:22} {a.mean():10.4f} {b.mean():10.4f} {z:7.2f}  {ok}")


def vectorised(reps: int = 30, jobs: int = 100_000) -> None:
    """30 x 100,000 jobs, 3 stations: a CONWIP loop (cap 20) and an open line.

    Prints the time to draw the random numbers and the time of the recursion apart,
    and their sum."""
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    # In place, no temporaries: exponential(1/0.9) is 1/0.9 x standard exponential (the
    # same numbers), lognormal(-0.125, 0.5) is exp(-0.125 + 0.5 z) (the same to one ulp).
    signal = rng.standard_exponential((reps, jobs))
    signal *= 1 / 0.9
    np.cumsum(signal, axis=1, out=signal)
    proc = rng.standard_normal((3, reps, jobs))
    proc *= 0.5
    proc += -0.125
    np.exp(proc, out=proc)
    drawn = time.perf_counter()
    closed_loop(signal, proc, [[0, 1, 2]], [20])
    looped = time.perf_counter()
    finish, _ = open_line(signal, proc)
    opened = time.perf_counter()
    print(
        f"\n{reps} replications x {jobs:,} jobs, 3 stations: draws {drawn - start:.2f} s, "
        f"CONWIP loop {looped - drawn:.2f} s (total {looped - start:.2f} s), "
        f"open line {opened - looped:.2f} s; mean cycle time {float(np.mean(finish - signal)):.2f}"
    )


def sweep_cost(reps: int = 3) -> None:
    """What the like-for-like sweep adds to a comparison: `compare` of a live-line-like
    spec (kanban and push, 5 replications) with and without it, median of `reps` runs."""
    import importlib

    from production.comparisons.twin import compare

    # The package exports the function `compare` under the module's name: ask for the module.
    runner = importlib.import_module("production.comparisons.twin.compare")

    spec = {
        "horizon_days": 28,
        "seed": 1,
        "replications": 5,
        "stations": [{"unit_time": {"dist": "lognormal", "mean_minutes": 1.5, "cv": 0.6}}],
        "products": [
            {
                "sku": f"P{i}",
                "container_quantity": 10,
                "lead_time_days": 1,
                "demand": {"kind": "poisson", "rate_per_day": 40},
                "history_before": [40.0] * 28,
            }
            for i in range(12)
        ],
        "policies": [{"kind": "kanban", "cards": 2}, {"kind": "push"}],
    }

    def timed() -> float:
        runs = []
        for _ in range(reps):
            start = time.perf_counter()
            compare(spec)
            runs.append(time.perf_counter() - start)
        return float(np.median(runs))

    with_sweep = timed()
    sweep = runner.like_for_like
    runner.like_for_like = lambda *args: []  # type: ignore[assignment]
    try:
        without = timed()
    finally:
        runner.like_for_like = sweep
    print(
        f"\nlike-for-like sweep: a 12-product, 28-day, 5-replication comparison takes "
        f"{with_sweep:.2f} s with it and {without:.2f} s without (x{with_sweep / without:.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--twin-reps", type=int, default=8)
    parser.add_argument("--sim-reps", type=int, default=3)
    args = parser.parse_args()
    print(f"{PRODUCTS} products x {DAYS} days of daily demand, 3 stations, container {CONTAINER:g}")
    for policy in ("kanban", "conwip", "push"):
        compare_policy(policy, args.twin_reps, args.sim_reps)
    vectorised()
    sweep_cost()


if __name__ == "__main__":
    main()
