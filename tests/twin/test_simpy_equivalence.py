"""The twin against a SimPy model of the same line, on the same sample path.

Same demand, same processing time for each job: a discrete-event simulation written
the usual way (resources, stores, processes) must give the very same release and
finish time to every job. Several products share the line; stations with one machine
(the max-plus recursions) and with parallel machines (the twin's event engine).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import simpy

from production.comparisons.twin import policies as pol
from production.comparisons.twin.demand import container_signals, daily_demand
from production.comparisons.twin.distributions import Dist
from production.planning.core import lot_size, net_requirement, safety_stock

STATIONS = [
    pol.Station("cut", 1, Dist("lognormal", 0.004, 0.7)),
    pol.Station("weld", 1, Dist("exponential", 0.005)),
    pol.Station("pack", 1, Dist("gamma", 0.003, 0.4)),
]
PRODUCTS = [pol.ProductModel(f"P{i}", c, 1.0) for i, c in enumerate((5.0, 4.0, 6.0, 5.0))]


def _demands() -> list:
    rng = np.random.default_rng(17)
    return [daily_demand(rng, dist=Dist("gamma", m, 0.9), days=90) for m in (14, 9, 16, 12)]


def _simpy(
    stations: list[pol.Station],
    signals: list[tuple[float, int]],
    procs: Callable[[int, int], list[float]],
    gate: str,
    cards: list[int],
    cap: int,
) -> dict[tuple[int, int], tuple[float, float]]:
    """Release and finish of each (product, k-th job of that product)."""
    env = simpy.Environment()
    machines = [simpy.Resource(env, capacity=s.machines) for s in stations]
    stores = []
    for n in cards:
        store = simpy.Store(env)
        store.items.extend(["full"] * n)
        stores.append(store)
    tokens = simpy.Container(env, capacity=max(cap, 1), init=max(cap, 1))
    made = [0] * len(PRODUCTS)
    out: dict[tuple[int, int], tuple[float, float]] = {}

    def job(p: int, j: int):  # type: ignore[no-untyped-def]
        k = made[p]
        made[p] += 1
        released = env.now
        for machine, t in zip(machines, procs(p, j if gate == "conwip" else k), strict=True):
            with machine.request() as req:
                yield req
                yield env.timeout(t)
        out[(p, k)] = (released, env.now)

    def kanban_claim(p: int):  # type: ignore[no-untyped-def]
        yield stores[p].get()
        yield env.process(job(p, -1))
        yield stores[p].put("full")

    def conwip_order(p: int, j: int):  # type: ignore[no-untyped-def]
        yield tokens.get(1)
        yield env.process(job(p, j))
        yield tokens.put(1)

    def feed():  # type: ignore[no-untyped-def]
        for j, (t, p) in enumerate(signals):
            yield env.timeout(max(0.0, t - env.now))
            env.process(kanban_claim(p) if gate == "kanban" else conwip_order(p, j))

    env.process(feed())
    env.run()
    return out


def _signal_times(signals: list) -> list[float]:  # type: ignore[type-arg]
    """Signal time of each (product, k), in sorted-key order."""
    return [float(t) for p in range(len(signals)) for t in signals[p]]


def _by_job(jobs) -> dict[tuple[int, int], tuple[float, float]]:  # type: ignore[no-untyped-def]
    out = {}
    seen = [0] * len(PRODUCTS)
    for i in np.lexsort((jobs.release, jobs.product)):
        p = int(jobs.product[i])
        out[(p, seen[p])] = (float(jobs.release[i]), float(jobs.done[i]))
        seen[p] += 1
    return out


def _assert_same(twin: dict, sim: dict) -> None:
    assert twin.keys() == sim.keys()
    for key in twin:
        assert twin[key] == pytest.approx(sim[key], abs=1e-9), key


PARALLEL = [
    pol.Station("cut", 2, Dist("lognormal", 0.008, 0.9)),
    pol.Station("weld", 3, Dist("exponential", 0.012)),
    pol.Station("pack", 1, Dist("gamma", 0.003, 0.4)),
]


@pytest.mark.parametrize("stations", [STATIONS, PARALLEL], ids=["one-machine", "parallel"])
@pytest.mark.parametrize("cards", [[1, 1, 1, 1], [2, 3, 2, 4], [6, 6, 6, 6]])
def test_kanban_loops_match_simpy(stations: list[pol.Station], cards: list[int]) -> None:
    demands = _demands()
    jobs, _ = pol.kanban(np.random.default_rng(5), stations, PRODUCTS, demands, cards)
    rng = np.random.default_rng(5)
    signals = [
        container_signals(d, p.container_quantity) for d, p in zip(demands, PRODUCTS, strict=True)
    ]
    procs = [
        pol._proc(rng, stations, np.full(len(s), p.container_quantity))
        for s, p in zip(signals, PRODUCTS, strict=True)
    ]
    merged = sorted((float(t), p) for p, s in enumerate(signals) for t in s)
    sim = _simpy(stations, merged, lambda p, k: procs[p][:, k].tolist(), "kanban", cards, cap=0)
    # Cards did hold work back somewhere (the gate is exercised, not just the line).
    signal_of = dict(zip(sorted(sim), _signal_times(signals), strict=True))
    assert any(sim[key][0] > signal_of[key] + 1e-9 for key in sim)
    _assert_same(_by_job(jobs), sim)


@pytest.mark.parametrize("stations", [STATIONS, PARALLEL], ids=["one-machine", "parallel"])
@pytest.mark.parametrize("cap", [1, 4, 30])
def test_conwip_matches_simpy(stations: list[pol.Station], cap: int) -> None:
    demands = _demands()
    base = [2] * len(PRODUCTS)
    jobs, _ = pol.conwip(np.random.default_rng(6), stations, PRODUCTS, demands, cap, base)
    signals = [
        container_signals(d, p.container_quantity) for d, p in zip(demands, PRODUCTS, strict=True)
    ]
    product = np.concatenate([np.full(len(s), i) for i, s in enumerate(signals)])
    signal = np.concatenate(signals)
    order = np.argsort(signal, kind="stable")
    units = np.asarray([PRODUCTS[i].container_quantity for i in product[order]])
    proc = pol._proc(np.random.default_rng(6), stations, units)
    merged = [(float(signal[i]), int(product[i])) for i in order]
    sim = _simpy(
        stations, merged, lambda p, j: proc[:, j].tolist(), "conwip", [0] * len(PRODUCTS), cap
    )
    _assert_same(_by_job(jobs), sim)


LOGNORMAL = [
    pol.Station("cut", 1, Dist("lognormal", 0.004, 0.7)),
    pol.Station("pack", 1, Dist("lognormal", 0.003, 0.4)),
]


def _simpy_push(
    stations: list[pol.Station],
    demands: list,
    plan: pol.PushPlan,
    initial: list[float],
    days: int,
    products: list[pol.ProductModel] = PRODUCTS,
) -> list[tuple[float, float, float, int]]:
    """Each morning the live planner's scalar arithmetic on the stock on hand, open orders
    and backorders the SimPy line has reached; the lots' containers drawn morning by
    morning, station by station. (release, finish, quantity, product) of every job."""
    env = simpy.Environment()
    rng = np.random.default_rng(9)
    machines = [simpy.Resource(env, capacity=s.machines) for s in stations]
    daily = np.stack([d.daily(days) for d in demands])
    received = list(initial)
    released = [0.0] * len(products)
    out: list[tuple[float, float, float, int]] = []

    def job(k: int, p: int, q: float, times: list[float]):  # type: ignore[no-untyped-def]
        for machine, t in zip(machines, times, strict=True):
            with machine.request() as req:
                yield req
                yield env.timeout(t)
        received[p] += q
        out[k] = (out[k][0], env.now, q, p)

    def lot(p: int, day: int, forecast: float, sigma: float) -> float:
        product = products[p]
        cover = product.lead_time_days + plan.review_days
        # Firm orders over exactly their span: those placed in [day, day + span).
        firm_days = min(plan.advance_demand_days, cover)
        unknown = max(cover - firm_days, 0.0)
        times = demands[p].times
        firm = demands[p].quantities[(times >= day) & (times < min(day + firm_days, days))].sum()
        net = received[p] - demands[p].quantities[times <= day].sum()
        requirement = net_requirement(
            forecast_over_horizon=firm + forecast * unknown,
            safety_stock=safety_stock(
                sigma_daily=sigma, lead_time_days=unknown, service_level=plan.service_level
            ),
            on_hand=max(net, 0.0),
            open_orders=released[p] - (received[p] - initial[p]),
            backorders=max(-net, 0.0),
        )
        return lot_size(
            requirement=requirement,
            policy=plan.lot_sizing,
            container_quantity=product.container_quantity,
            fixed_quantity=plan.fixed_lot_quantity,
            daily_demand=forecast,
            setup_cost=plan.setup_cost,
            holding_cost_per_unit_day=plan.holding_cost_per_unit_day,
        )

    def planner():  # type: ignore[no-untyped-def]
        window = plan.forecast_window_days
        for day in range(days):
            yield env.timeout(day - env.now)
            seen = np.concatenate((daily[:, :window], daily[:, :day]), axis=1)[:, -window:]
            forecast, sigma = seen.mean(axis=1), seen.std(axis=1, ddof=1)
            parts = []
            for p in range(len(PRODUCTS)):
                q = lot(p, day, float(forecast[p]), float(sigma[p]))
                released[p] += q
                container = PRODUCTS[p].container_quantity
                parts += [(p, part) for part in pol._transfer_batches(q, container) if q > 0]
            times = pol._proc(rng, stations, np.asarray([q for _, q in parts]))
            for k, (p, q) in enumerate(parts):
                out.append((env.now, np.nan, q, p))
                env.process(job(len(out) - 1, p, q, times[:, k].tolist()))

    env.process(planner())
    env.run()
    return out


HALF_DAY = [pol.ProductModel(p.sku, p.container_quantity, 0.5) for p in PRODUCTS]


@pytest.mark.parametrize(
    ("stations", "plan", "products"),
    [
        (STATIONS, pol.PushPlan(), PRODUCTS),
        (PARALLEL, pol.PushPlan(advance_demand_days=2), PRODUCTS),
        (STATIONS, pol.PushPlan(lot_sizing="fixed", fixed_lot_quantity=12.0), PRODUCTS),
        (LOGNORMAL, pol.PushPlan(lot_sizing="lot_for_lot", advance_demand_days=1), PRODUCTS),
        (LOGNORMAL, pol.PushPlan(lot_sizing="eoq", service_level=0.99), PRODUCTS),
        # Lead time 0.5 day: firm orders cover 1.5 days, not a span rounded up to 2.
        (STATIONS, pol.PushPlan(lot_sizing="lot_for_lot", advance_demand_days=3), HALF_DAY),
        (STATIONS, pol.PushPlan(advance_demand_days=1), HALF_DAY),
    ],
    ids=[
        "containers",
        "parallel-firm-orders",
        "fixed",
        "lot-for-lot",
        "eoq",
        "firm-orders-over-a-fractional-span",
        "firm-orders-then-forecast",
    ],
)
def test_push_matches_simpy(
    stations: list[pol.Station], plan: pol.PushPlan, products: list[pol.ProductModel]
) -> None:
    """The twin plans every morning's lots before running the line, from the inventory
    position; a SimPy planner that reads the line's real stock and open orders each
    morning must release the same lots, and its jobs must finish at the same times."""
    demands, days, initial = _demands(), 90, [20.0, 0.0, 35.0, 10.0]
    jobs, _, _ = pol.push(
        np.random.default_rng(9), stations, products, demands, plan, initial, days
    )
    sim = _simpy_push(stations, demands, plan, initial, days, products)
    assert len(sim) == len(jobs.release) > 0
    expected = np.asarray(sim).T
    assert np.array_equal(jobs.product, expected[3])
    assert np.allclose(jobs.quantity, expected[2], rtol=0, atol=1e-9)
    assert np.allclose(jobs.release, expected[0], rtol=0, atol=1e-9)
    assert np.allclose(jobs.done, expected[1], rtol=0, atol=1e-9)
