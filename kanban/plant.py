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
One finished line (the second) runs in push mode: its orders come from push plans and its cards
stay full. Each work order is one container; its card cycles full -> in use -> empty ->
in process -> full. The latest order of a pull loop is open in about half of the loops.

Each step commits on its own (Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: one
transaction of millions of rows spends minutes in its COMMIT checking them); with
`trusted=True` the steps skip the foreign-key triggers (`session_replication_role = replica`,
inside each step's transaction only), since the rows are built consistent by construction.
The tests build a tiny plant with `trusted=False` and let PostgreSQL check every key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

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
)


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
        self.progress(what)
        with transaction.atomic(), connection.cursor() as cursor:
            if self.trusted:
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            yield cursor

    def run(self) -> None:
        self.offsets()
        self.drop_scratch()
        indexes = self.drop_indexes() if self.trusted else []
        try:
            self.write()
        finally:
            self.drop_scratch()
            self.restore_indexes(indexes)
        self.progress("analyze")
        with connection.cursor() as cursor:
            verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            for table in BIG_TABLES:
                cursor.execute(f"{verb} {table}")

    def drop_indexes(self) -> list[str]:
        """Secondary indexes of the event tables, dropped while they fill and built after:
        one sort per index instead of millions of insertions. Only on empty tables."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)",
                [list(EVENT_TABLES)],
            )
            found = cursor.fetchall()
            for table in EVENT_TABLES:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
                if cursor.fetchone()[0]:
                    return []
            for name, _ in found:
                cursor.execute(f'DROP INDEX "{name}"')
        return [definition for _, definition in found]

    def restore_indexes(self, definitions: list[str]) -> None:
        if definitions:
            self.progress(f"{len(definitions)} indexes")
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for definition in definitions:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")

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
            with self.step(f"ledger and events, part {chunk + 1} of {TIME_CHUNKS}") as cursor:
                for sql in HISTORY_SQL:
                    cursor.execute(sql, {**self.params, "low": low, "high": high})
        with self.step("closing counts and stock levels") as cursor:
            cursor.execute(CLOSING_SQL, self.params)
            self.reset_sequences(cursor)
        if not self.trusted:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

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

MASTER_SQL = [
    """
    INSERT INTO production_productionline
        (id, code, name, mode, capacity_per_day, wip_limit, created_at)
    SELECT %(line_off)s + 1 + i, format('plant-line-%%s', lpad((i + 1)::text, 2, '0')),
           CASE WHEN i < %(finished_lines)s THEN format('Assembly line %%s', i + 1)
                ELSE format('Component line %%s', i + 1) END,
           CASE WHEN i = 1 AND %(finished_lines)s > 1 THEN 'push' ELSE 'pull' END,
           2000, greatest(4, ceil(%(products)s::numeric / %(lines)s / 4) + 5), %(start)s
    FROM generate_series(0, %(lines)s - 1) AS i
    """,
    """
    INSERT INTO production_location (code, name, kind)
    VALUES ('plant-finished', 'Finished-goods supermarket', 'supermarket'),
           ('plant-components', 'Component supermarket', 'supermarket')
    """,
    """
    INSERT INTO production_product
        (id, sku, name, unit, container_quantity, lead_time_days, service_level, lot_sizing,
         setup_cost, holding_cost_per_unit_day, line_id, supermarket_id)
    SELECT %(product_off)s + 1 + i,
           CASE WHEN i < %(finished)s THEN format('FG-%%s', lpad(i::text, 5, '0'))
                ELSE format('CMP-%%s', lpad(i::text, 5, '0')) END,
           CASE WHEN i < %(finished)s THEN format('Finished good %%s', i)
                ELSE format('Component %%s', i) END,
           'pcs',
           CASE WHEN i < %(finished)s THEN 20 + 5 * (i %% 9) ELSE 400 + 30 * (i %% 9) END,
           1 + (i %% 3) * 0.5, 0.95, 'containers', 50, 0.01,
           %(line_off)s + 1 + CASE
               WHEN i < %(finished)s THEN i * %(finished_lines)s / %(finished)s
               ELSE %(finished_lines)s + (i - %(finished)s)
                    * greatest(1, %(lines)s - %(finished_lines)s) / greatest(1, %(components)s)
           END,
           (SELECT id FROM production_location
            WHERE code = CASE WHEN i < %(finished)s THEN 'plant-finished'
                              ELSE 'plant-components' END)
    FROM generate_series(0, %(products)s - 1) AS i
    """,
    # Up to three distinct components per finished good, one or two of each.
    """
    INSERT INTO production_bomline (parent_id, component_id, quantity)
    SELECT DISTINCT ON (i, c) %(product_off)s + 1 + i, %(product_off)s + 1 + c, 1 + (i + k) %% 2
    FROM generate_series(0, %(finished)s - 1) AS i,
         generate_series(0, least(2, %(components)s - 1)) AS k,
         LATERAL (SELECT %(finished)s + (i * 7 + k * 131) %% %(components)s AS c) AS pick
    WHERE %(components)s > 0
    """,
]

# Demand only for finished goods, skewed (index = F x u^2), in time order with the id.
DEMAND_SQL = """
INSERT INTO production_demandevent
    (id, product_id, quantity, occurred_at, source, external_id, status,
     backordered_quantity, open_backorder_quantity, processed_at, created_at)
SELECT %(demand_off)s + g, %(product_off)s + 1 + floor(%(finished)s * power(random(), 2))::int,
       1 + floor(random() * 5), t, %(source)s, 'plant-' || g, 'fulfilled', 0, 0,
       t + interval '1 second', t
FROM generate_series(%(first)s, %(last)s) AS g,
     LATERAL (SELECT %(start)s::timestamptz
              + (g - 1 + random()) / %(events)s * (%(days)s * interval '1 day') AS t) AS at
"""

ORDERS_SQL = [
    # How many containers each product needed: its demand, or its parents' orders via the BOM.
    """
    CREATE TEMP TABLE plant_need AS
    SELECT p.id AS product_id, p.line_id, p.supermarket_id AS location_id, p.container_quantity,
           p.lead_time_days, l.mode, p.id - %(product_off)s - 1 AS idx,
           greatest(1, round(coalesce(d.total, 0) / p.container_quantity))::int AS orders
    FROM production_product p
    JOIN production_productionline l ON l.id = p.line_id
    LEFT JOIN (SELECT product_id, sum(quantity) AS total FROM production_demandevent
               WHERE source = %(source)s GROUP BY product_id) d ON d.product_id = p.id
    WHERE p.id > %(product_off)s
    """,
    """
    UPDATE plant_need n SET orders = greatest(1, round(c.total / n.container_quantity))::int
    FROM (SELECT b.component_id, sum(parent.orders * parent.container_quantity * b.quantity) AS total
          FROM production_bomline b JOIN plant_need parent ON parent.product_id = b.parent_id
          GROUP BY b.component_id) c
    WHERE c.component_id = n.product_id
    """,
    # One row per work order: spread evenly over the history; the last one of a pull loop is
    # open (in process or planned) in half of the loops.
    """
    CREATE TEMP TABLE plant_wo AS
    SELECT %(wo_off)s + row_number() OVER (ORDER BY n.product_id, k) AS id, n.product_id,
           n.line_id, n.location_id, n.container_quantity AS quantity, k, n.orders,
           CASE WHEN n.mode = 'push' THEN 'push'
                WHEN k %% 53 = 17 AND k < n.orders - 1 THEN 'manual' ELSE 'kanban' END AS origin,
           CASE WHEN k %% 106 = 17 AND k < n.orders - 1 AND n.mode = 'pull' THEN 'cancelled'
                WHEN k = n.orders - 1 AND n.mode = 'pull' AND n.idx %% 4 = 0 THEN 'in_progress'
                WHEN k = n.orders - 1 AND n.mode = 'pull' AND n.idx %% 4 = 1 THEN 'planned'
                ELSE 'done' END AS status,
           (k %% %(cards)s) + 1 AS card_number, created,
           created + n.lead_time_days * interval '8 hours' AS started,
           created + n.lead_time_days * interval '19 hours' AS completed
    FROM plant_need n, generate_series(0, n.orders - 1) AS k,
         LATERAL (SELECT %(start)s::timestamptz + (k + 0.5) / n.orders
                         * (%(days)s - n.lead_time_days - 0.5) * interval '1 day' AS created) c
    """,
    "CREATE INDEX ON plant_wo (created)",
    "ANALYZE plant_wo",
    """
    INSERT INTO production_workorder
        (id, product_id, line_id, location_id, quantity, origin, status, version, due_at,
         plan_explanation, created_at, released_at, started_at, completed_at, cancelled_at)
    SELECT w.id, w.product_id, w.line_id, w.location_id, w.quantity, w.origin, w.status,
           CASE w.status WHEN 'done' THEN 4 WHEN 'in_progress' THEN 3 ELSE 2 END
               - CASE WHEN w.status = 'planned' THEN 1 ELSE 0 END,
           w.created + n.lead_time_days * interval '1 day', '{}'::jsonb, w.created,
           CASE WHEN w.status IN ('done', 'in_progress') THEN w.started END,
           CASE WHEN w.status IN ('done', 'in_progress') THEN w.started END,
           CASE WHEN w.status = 'done' THEN w.completed END,
           CASE WHEN w.status = 'cancelled' THEN w.created + interval '2 hours' END
    FROM plant_wo w JOIN plant_need n USING (product_id)
    ORDER BY w.id
    """,
    """
    INSERT INTO kanban_kanbanloop
        (id, product_id, location_id, container_quantity, safety_factor, sizing_window_days,
         recommended_card_count, recommendation, created_at)
    SELECT %(loop_off)s + 1 + n.idx, n.product_id, n.location_id, n.container_quantity, 0.2, 28,
           %(cards)s, '{}'::jsonb, %(start)s
    FROM plant_need n
    """,
    # Cards: the open order's card is empty or in process, the next one in use (half full),
    # the rest full since their last order was done.
    """
    INSERT INTO kanban_kanbancard
        (id, loop_id, number, status, remaining_quantity, version, work_order_id,
         status_changed_at, created_at)
    SELECT %(card_off)s + n.idx * %(cards)s + c, %(loop_off)s + 1 + n.idx, c,
           CASE WHEN o.id IS NOT NULL THEN CASE o.status WHEN 'planned' THEN 'empty'
                                                           ELSE 'in_process' END
                WHEN n.mode = 'pull' AND c = n.orders %% %(cards)s + 1 THEN 'in_use'
                ELSE 'full' END,
           CASE WHEN o.id IS NOT NULL THEN 0
                WHEN n.mode = 'pull' AND c = n.orders %% %(cards)s + 1
                     THEN ceil(n.container_quantity / 2)
                ELSE n.container_quantity END,
           1 + 4 * coalesce(last.cycles, 0), o.id,
           CASE WHEN o.id IS NOT NULL THEN
                    CASE o.status WHEN 'planned' THEN o.created ELSE o.started END
                WHEN n.mode = 'pull' AND c = n.orders %% %(cards)s + 1
                     THEN greatest(coalesce(last.completed, %(start)s), %(now)s - interval '6 hours')
                ELSE coalesce(last.completed, %(start)s) END,
           %(start)s
    FROM plant_need n
    CROSS JOIN generate_series(1, %(cards)s) AS c
    LEFT JOIN plant_wo o ON o.product_id = n.product_id AND o.card_number = c
         AND o.origin = 'kanban' AND o.status IN ('planned', 'in_progress')
    LEFT JOIN (SELECT w.product_id, w.card_number, max(w.completed) AS completed,
                      count(*) AS cycles
               FROM plant_wo w WHERE w.origin = 'kanban' AND w.status = 'done'
               GROUP BY w.product_id, w.card_number) last
         ON last.product_id = n.product_id AND last.card_number = c
    """,
    """
    INSERT INTO production_stocklevel (product_id, location_id, on_hand, updated_at)
    SELECT l.product_id, l.location_id, sum(c.remaining_quantity)
               FILTER (WHERE c.status IN ('full', 'in_use')), %(now)s
    FROM kanban_kanbanloop l JOIN kanban_kanbancard c ON c.loop_id = l.id
    WHERE l.id > %(loop_off)s
    GROUP BY l.product_id, l.location_id
    """,
    # Opening balances: every card of a new loop starts full.
    """
    INSERT INTO production_stockmove
        (product_id, location_id, kind, quantity, note, created_at)
    SELECT product_id, location_id, 'opening', %(cards)s * container_quantity,
           'loop opened', %(start)s
    FROM plant_need ORDER BY product_id
    """,
]

# Each part: the moves, order events, card events and signals of one time window, in time order.
HISTORY_SQL = [
    """
    INSERT INTO production_stockmove
        (product_id, location_id, kind, quantity, demand_event_id, work_order_id, note,
         created_at)
    SELECT product_id, location_id, kind, quantity, demand_event_id, work_order_id, '', at
    FROM (
        SELECT d.product_id, p.supermarket_id AS location_id, 'consumption' AS kind,
               -d.quantity AS quantity, d.id AS demand_event_id, NULL::bigint AS work_order_id,
               d.occurred_at AS at
        FROM production_demandevent d JOIN production_product p ON p.id = d.product_id
        WHERE d.source = %(source)s AND d.occurred_at >= %(low)s AND d.occurred_at < %(high)s
        UNION ALL
        SELECT w.product_id, w.location_id, 'receipt', w.quantity, NULL, w.id, w.completed
        FROM plant_wo w
        WHERE w.status = 'done' AND w.completed >= %(low)s AND w.completed < %(high)s
        UNION ALL
        SELECT b.component_id, c.supermarket_id, 'consumption', -(w.quantity * b.quantity),
               NULL, w.id, w.started
        FROM plant_wo w JOIN production_bomline b ON b.parent_id = w.product_id
        JOIN production_product c ON c.id = b.component_id
        WHERE w.status IN ('done', 'in_progress')
          AND w.started >= %(low)s AND w.started < %(high)s
    ) AS moves
    ORDER BY at
    """,
    """
    INSERT INTO production_workorderevent
        (work_order_id, from_status, to_status, reason, created_at)
    SELECT work_order_id, from_status, to_status, '', at
    FROM (
        SELECT w.id AS work_order_id, '' AS from_status, 'planned' AS to_status, w.created AS at
        FROM plant_wo w
        UNION ALL
        SELECT w.id, 'planned', 'cancelled', w.created + interval '2 hours' FROM plant_wo w
        WHERE w.status = 'cancelled'
        UNION ALL
        SELECT w.id, 'planned', 'released', w.started FROM plant_wo w
        WHERE w.status IN ('done', 'in_progress')
        UNION ALL
        SELECT w.id, 'released', 'in_progress', w.started FROM plant_wo w
        WHERE w.status IN ('done', 'in_progress')
        UNION ALL
        SELECT w.id, 'in_progress', 'done', w.completed FROM plant_wo w WHERE w.status = 'done'
    ) AS events
    WHERE at >= %(low)s AND at < %(high)s
    ORDER BY at, work_order_id
    """,
    # A kanban order's card: taken into use, emptied (the signal), started, filled.
    """
    INSERT INTO kanban_cardevent
        (card_id, from_status, to_status, reason, source, wip_override, work_order_id,
         created_at)
    SELECT card_id, from_status, to_status, '', source, false, work_order_id, at
    FROM (
        SELECT e.*, %(card_off)s + (w.product_id - %(product_off)s - 1) * %(cards)s
                    + w.card_number AS card_id
        FROM plant_wo w, LATERAL (VALUES
            (w.id, 'full', 'in_use', 'engine', w.created - interval '1 hour', true),
            (w.id, 'in_use', 'empty', 'engine', w.created, true),
            (w.id, 'empty', 'in_process', 'board', w.started, w.status IN ('done', 'in_progress')),
            (w.id, 'in_process', 'full', 'board', w.completed, w.status = 'done')
        ) AS e(work_order_id, from_status, to_status, source, at, happened)
        WHERE w.origin = 'kanban' AND w.status <> 'cancelled' AND e.happened
    ) AS events
    WHERE at >= %(low)s AND at < %(high)s
    ORDER BY at, card_id
    """,
    """
    INSERT INTO kanban_pullsignal (card_id, work_order_id, created_at, fulfilled_at)
    SELECT %(card_off)s + (w.product_id - %(product_off)s - 1) * %(cards)s + w.card_number,
           w.id, w.created, CASE WHEN w.status = 'done' THEN w.completed END
    FROM plant_wo w
    WHERE w.origin = 'kanban' AND w.status <> 'cancelled'
      AND w.created >= %(low)s AND w.created < %(high)s
    ORDER BY w.created, w.id
    """,
]

# A closing count per product brings the ledger to what the cards hold.
CLOSING_SQL = """
INSERT INTO production_stockmove
    (product_id, location_id, kind, quantity, note, created_at)
SELECT s.product_id, s.location_id, 'adjustment', s.on_hand - m.total, 'stocktake',
       %(now)s - interval '1 hour'
FROM production_stocklevel s
JOIN (SELECT product_id, location_id, sum(quantity) AS total FROM production_stockmove
      WHERE product_id > %(product_off)s GROUP BY product_id, location_id) m
     USING (product_id, location_id)
WHERE s.product_id > %(product_off)s AND s.on_hand <> m.total
ORDER BY s.product_id
"""
