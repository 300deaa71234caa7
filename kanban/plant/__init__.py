"""A real plant's data on demand: lines, products, loops, cards and two years of history.

`build_plant(scale="large")` writes, in set-based SQL (`INSERT ... SELECT ... generate_series`),
the shape of a plant after two years: 20 lines, 2,000 products and loops, 20,000 cards,
5 million demand events, about 500,000 work orders with their events, their cards' events and
pull signals, and about 6.6 million stock moves. The ledger balances: every stock level is the
sum of its moves, every loop's full and in-use cards hold exactly what is on hand, every empty
card of a pull line has its open order, and no demand waits to be processed, so the reconciler
finds nothing to fix. The same seed gives the same plant.

Shape: 80 % of the products are finished goods on 80 % of the lines (demand skewed towards a
few of them, so some lines are busy and some quiet), the rest are components made on the other
lines and consumed by the finished goods' work orders through a BOM of up to three components.
Every eighth finished line from the second runs in push mode (one at demo, two at x10 and
large): its orders come from push plans and its cards stay full. Each work order is one container; its card cycles full -> in use -> empty ->
in process -> full. The latest order of a pull loop is open in about half of the loops.

Each step commits on its own (Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: one
transaction of millions of rows spends minutes in its COMMIT checking them); with
`trusted=True` the steps skip the foreign-key triggers (`session_replication_role = replica`,
inside each step's transaction only), since the rows are built consistent by construction.
The tests build a tiny plant with `trusted=False` and let PostgreSQL check every key.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from kanban.plant import planning
from kanban.plant.sql import CLOSING_SQL, DEMAND_SQL, HISTORY_SQL, MASTER_SQL, ORDERS_SQL

PLANT_SOURCE = "plant"
MARKER_LINE = "plant-line-01"


@dataclass(frozen=True)
class PlantScale:
    lines: int
    products: int
    cards_per_loop: int
    days: int
    demand_events: int


SCALES: dict[str, PlantScale] = {
    "tiny": PlantScale(lines=3, products=12, cards_per_loop=3, days=60, demand_events=600),
    # The size of the demo plant (20 products, about 80 cards, 3,700 demand events).
    "demo": PlantScale(lines=5, products=20, cards_per_loop=4, days=365, demand_events=3_700),
    "x10": PlantScale(lines=20, products=200, cards_per_loop=10, days=730, demand_events=500_000),
    "large": PlantScale(
        lines=20, products=2_000, cards_per_loop=10, days=730, demand_events=5_000_000
    ),
}

DEMAND_CHUNK = 1_000_000
TIME_CHUNKS = 8  # the ledger and the event tables are written in time order, in this many steps

EVENT_TABLES = (
    "production_demandevent",
    "production_stockmove",
    "production_workorder",
    "production_workorderevent",
    "kanban_cardevent",
    "kanban_pullsignal",
)
BIG_TABLES = (
    "production_demandevent",
    "production_stockmove",
    "production_workorder",
    "production_workorderevent",
    "kanban_kanbancard",
    "kanban_cardevent",
    "kanban_pullsignal",
    "production_stocklevel",
    "production_product",
    "kanban_kanbanloop",
    # The dashboards' per-day sums, filled by triggers as the tables above were written:
    # without fresh statistics the planner reads them by whole-table scans.
    "production_dailystockflow",
    "production_dailydemand",
    "production_dailylineorders",
    # The planning history, written last (see `planning`):
    "production_productforecast",
    "production_pushplanline",
    "production_comparison",
)


def _kept_while_filling(table: str, definition: str) -> bool:
    """The partial indexes of demand (unprocessed, open backorders) stay in place while the
    table fills: no built event enters them, so they cost a test per row where building
    them after costs a pass over the table each. (Keeping the indexes whose keys arrive
    in order was tried too: at large the demand step took 119 s instead of 53 s and the
    index step saved 29 s, at load average 9 to 10.)"""
    return table == "production_demandevent" and " WHERE " in definition


class PlantExists(Exception):
    """The database already holds a plant: the builder writes only into an empty one."""


def build_plant(
    *,
    scale: str = "large",
    trusted: bool = True,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Build the plant of `scale` (a key of `SCALES`) and return the rows written per table."""
    from production.models import ProductionLine

    if ProductionLine.objects.exists():
        raise PlantExists("This database already has production lines; build into an empty one.")
    size = SCALES[scale]
    builder = _Builder(size, now or timezone.now(), trusted, progress or (lambda _: None))
    builder.run()
    return builder.counts()


class _Builder:
    def __init__(
        self, size: PlantScale, now: datetime, trusted: bool, progress: Callable[[str], None]
    ) -> None:
        self.size = size
        self.now = now
        self.start = now - timedelta(days=size.days)
        self.trusted = trusted
        self.progress = progress
        self.finished = max(1, round(size.products * 0.8))
        self.finished_lines = max(1, round(size.lines * 0.8))
        self.params: dict[str, Any] = {
            "now": now,
            "start": self.start,
            "days": size.days,
            "products": size.products,
            "finished": self.finished,
            "components": size.products - self.finished,
            "lines": size.lines,
            "finished_lines": self.finished_lines,
            "cards": size.cards_per_loop,
            "events": size.demand_events,
            "source": PLANT_SOURCE,
        }

    @contextmanager
    def step(self, what: str) -> Iterator[Any]:
        """One step in one transaction, reported with its time when it is done.

        The build is repeatable from nothing, so its commits need not wait for the disk
        (`synchronous_commit = off`, this transaction only): a crash loses a build that is
        started again anyway.
        """
        began = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            if self.trusted:
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            yield cursor
        self.progress(f"{what}: {time.monotonic() - began:.1f} s")

    def run(self) -> None:
        try:
            # The scratch tables (one row per work order) are read many times per step:
            # in memory, not through the default 8 MB of local buffers. PostgreSQL takes
            # it only before the session's first temporary table (not in a second build).
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET temp_buffers = '512MB'")
        except DatabaseError:
            pass
        self.offsets()
        self.drop_scratch()
        indexes = self.drop_indexes() if self.trusted else []
        try:
            self.write()
        finally:
            self.drop_scratch()
            self.restore_indexes(indexes)
        self.analyze(BIG_TABLES[:-3])
        # Read through the indexes and statistics of the history just written.
        self.planning()
        self.analyze(BIG_TABLES[-3:])

    def analyze(self, tables: tuple[str, ...]) -> None:
        began = time.monotonic()
        with connection.cursor() as cursor:
            verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            for table in tables:
                cursor.execute(f"{verb} {table}")
        self.progress(f"{verb.lower()} of {len(tables)} tables: {time.monotonic() - began:.1f} s")

    def drop_indexes(self) -> list[str]:
        """Secondary indexes of the event tables, dropped while they fill and built after:
        one sort per index instead of millions of insertions; the partial ones stay (see
        `_kept_while_filling`). Only on empty tables. Returns the definitions to build."""
        with connection.cursor() as cursor:
            for table in EVENT_TABLES:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
                if cursor.fetchone()[0]:
                    return []
            cursor.execute(
                "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)",
                [list(EVENT_TABLES)],
            )
            dropped = [
                (name, definition)
                for table, name, definition in cursor.fetchall()
                if not _kept_while_filling(table, definition)
            ]
            for name, _ in dropped:
                cursor.execute(f'DROP INDEX "{name}"')
        return [definition for _, definition in dropped]

    def restore_indexes(self, statements: list[str]) -> None:
        if not statements:
            return
        began = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for statement in statements:
                cursor.execute(statement)
            cursor.execute("RESET maintenance_work_mem")
        self.progress(f"{len(statements)} indexes built: {time.monotonic() - began:.1f} s")

    def write(self) -> None:
        with self.step("lines, locations, products, BOMs, users") as cursor:
            self.master_data(cursor)
        for first in range(1, self.size.demand_events + 1, DEMAND_CHUNK):
            last = min(first + DEMAND_CHUNK - 1, self.size.demand_events)
            with self.step(f"demand events {first:,}-{last:,}") as cursor:
                cursor.execute("SELECT setseed(%s)", [(first // DEMAND_CHUNK + 1) / 100])
                cursor.execute(DEMAND_SQL, {**self.params, "first": first, "last": last})
        with self.step("work orders, loops, cards, stock levels") as cursor:
            self.orders_and_loops(cursor)
        for chunk in range(TIME_CHUNKS):
            low = self.start + (self.now - self.start) * chunk / TIME_CHUNKS
            if chunk == 0:
                low -= timedelta(days=1)  # a first card taken into use just before the start
            high = self.start + (self.now - self.start) * (chunk + 1) / TIME_CHUNKS
            if chunk == TIME_CHUNKS - 1:
                high = self.now + timedelta(days=1)
            window = {"low": low, "high": high, **self.demand_ids_between(low, high)}
            with self.step(f"ledger and events, part {chunk + 1} of {TIME_CHUNKS}") as cursor:
                for sql in HISTORY_SQL:
                    cursor.execute(sql, {**self.params, **window})
        with self.step("closing counts and stock levels") as cursor:
            cursor.execute(CLOSING_SQL, self.params)
            self.reset_sequences(cursor)
        if not self.trusted:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def planning(self) -> None:
        """Forecasts, push plans and comparisons, as the planning pages find them."""
        params = {
            **self.params,
            "runs": planning.FORECAST_RUNS,
            "today": timezone.localdate(self.now),
            "plan_days": planning.PLAN_DAYS,
        }
        with self.step("forecast runs and a forecast per product") as cursor:
            for sql in planning.FORECAST_SQL:
                cursor.execute(sql, params)
        with self.step("mode switches and daily push plans of the push lines") as cursor:
            for sql in planning.PUSH_SQL:
                cursor.execute(sql, params)
        with self.step("nightly shadow comparisons"):
            planning.shadow_comparisons_write(now=self.now, line_offset=self.params["line_off"])

    def demand_ids_between(self, low: datetime, high: datetime) -> dict[str, int]:
        """The ids that hold the demand of [low, high), with a margin: event g occurs in the
        g-th slot of the history (DEMAND_SQL), so its window is a range of the primary key
        (read through its index, not a pass over every event per part)."""
        span = (self.now - self.start).total_seconds()
        events = self.size.demand_events
        first = (low - self.start).total_seconds() / span * events
        last = (high - self.start).total_seconds() / span * events
        offset = self.params["demand_off"]
        return {"demand_lo": offset + int(first) - 1, "demand_hi": offset + int(last) + 2}

    def drop_scratch(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS plant_wo, plant_need")

    def offsets(self) -> None:
        """Explicit ids start after what is there, so the steps can refer to each other."""
        tables = {
            "product": "production_product",
            "line": "production_productionline",
            "loop": "kanban_kanbanloop",
            "wo": "production_workorder",
            "card": "kanban_kanbancard",
            "demand": "production_demandevent",
        }
        with connection.cursor() as cursor:
            for key, table in tables.items():
                cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
                self.params[f"{key}_off"] = cursor.fetchone()[0]

    def master_data(self, cursor: Any) -> None:
        for sql in MASTER_SQL:
            cursor.execute(sql, self.params)
        from kanban.management.commands.seed_demo import demo_users_create

        demo_users_create()

    def orders_and_loops(self, cursor: Any) -> None:
        for sql in ORDERS_SQL:
            cursor.execute(sql, self.params)

    def reset_sequences(self, cursor: Any) -> None:
        for table in (
            "production_productionline",
            "production_location",
            "production_product",
            "production_bomline",
            "production_demandevent",
            "production_workorder",
            "kanban_kanbanloop",
            "kanban_kanbancard",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )

    def counts(self) -> dict[str, int]:
        found = {}
        with connection.cursor() as cursor:
            for table in BIG_TABLES:
                cursor.execute(f"SELECT count(*) FROM {table}")
                found[table] = cursor.fetchone()[0]
        return found


# --- The SQL. Products are numbered 0..products-1 (id = product_off + 1 + index): finished
# goods first, then components; lines likewise (id = line_off + 1 + index).
