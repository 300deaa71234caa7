"""The PostgreSQL triggers that keep the per-day sums (`models.py`) equal to the raw tables.

Statement-level AFTER triggers with transition tables: each INSERT, UPDATE or DELETE
statement on the ledger or the demand adds its rows' signed sums per day in one upsert,
in the key order (so two writers lock the sum rows in the same order), in the writer's
transaction. Used by the migration that installs them and by `daily_flows_rebuild`.
"""

from __future__ import annotations

from typing import Any

DAY_FUNCTION = """
CREATE OR REPLACE FUNCTION production_flow_day(stamp timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (stamp AT TIME ZONE {zone})::date $$
"""

# (table, sums table, key columns as SQL, [(sum column, value as SQL)]): `{sign}` is 1 for
# the statement's new rows and -1 for its old ones.
# Processed by Pullboard after it was stored (a minute's leeway for the clocks of two hosts);
# an event stored with its outcome already set (a history import) was not served here.
PROCESSED = "processed_at IS NOT NULL AND processed_at >= created_at - interval '1 minute'"
FLOWS: list[tuple[str, str, list[tuple[str, str]], list[tuple[str, str]]]] = [
    (
        "production_stockmove",
        "production_dailystockflow",
        [
            ("product_id", "product_id"),
            ("location_id", "location_id"),
            ("day", "production_flow_day(created_at)"),
        ],
        [("quantity", "{sign} * quantity"), ("moves", "{sign}")],
    ),
    (
        "production_demandevent",
        "production_dailydemand",
        [("product_id", "product_id"), ("day", "production_flow_day(occurred_at)")],
        [
            ("demanded", "{sign} * quantity"),
            ("events", "{sign}"),
            ("processed", f"CASE WHEN {PROCESSED} THEN {{sign}} * quantity ELSE 0 END"),
            ("processed_events", f"CASE WHEN {PROCESSED} THEN {{sign}} ELSE 0 END"),
            (
                "backordered",
                f"CASE WHEN {PROCESSED} THEN {{sign}} * backordered_quantity ELSE 0 END",
            ),
        ],
    ),
]


def _signed(
    source: str, keys: list[tuple[str, str]], sums: list[tuple[str, str]], sign: str
) -> str:
    cols = [f"{expr} AS {name}" for name, expr in keys]
    cols += [f"{expr.format(sign=sign)} AS {name}" for name, expr in sums]
    return f"SELECT {', '.join(cols)} FROM {source}"


def _upsert(
    target: str, keys: list[tuple[str, str]], sums: list[tuple[str, str]], rows: str
) -> str:
    key = ", ".join(name for name, _ in keys)
    names = [name for name, _ in sums]
    changed = " OR ".join(f"sum({n}) <> 0" for n in names)
    return (
        f"INSERT INTO {target} AS t ({key}, {', '.join(names)}) "
        f"SELECT {key}, {', '.join(f'sum({n})' for n in names)} FROM ({rows}) AS d "
        f"GROUP BY {key} HAVING {changed} ORDER BY {key} "
        f"ON CONFLICT ({key}) DO UPDATE SET "
        + ", ".join(f"{n} = t.{n} + EXCLUDED.{n}" for n in names)
    )


def trigger_sql(table: str, target: str, keys: Any, sums: Any) -> list[str]:
    plus, minus = (lambda s: _signed(s, keys, sums, "1")), (lambda s: _signed(s, keys, sums, "-1"))
    function = f"{target}_apply"
    body = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_upsert(target, keys, sums, plus("new_rows"))};
    ELSIF TG_OP = 'DELETE' THEN
        {_upsert(target, keys, sums, minus("old_rows"))};
    ELSE
        {_upsert(target, keys, sums, plus("new_rows") + " UNION ALL " + minus("old_rows"))};
    END IF;
    RETURN NULL;
END $$
"""
    return [body, *_statement_triggers(table, target), *always_sql(table, target)]


def always_sql(table: str, target: str) -> list[str]:
    """The sums' triggers fire even under `session_replication_role = replica`, which bulk
    loaders (the plant builder) set to skip the foreign-key checks: a loader cannot leave
    the sums behind. (A logical-replication subscriber that also receives the sums tables
    would count twice: replicate the raw tables only, or rebuild.)"""
    return [
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {target}_{op}"
        for op in ("insert", "update", "delete")
    ]


def rebuild_sql(table: str, target: str, keys: Any, sums: Any) -> list[str]:
    """Recompute one sums table from scratch (writers wait: the raw table is share-locked)."""
    return [
        f"LOCK TABLE {table} IN SHARE MODE",
        f"DELETE FROM {target}",
        _upsert(target, keys, sums, _signed(table, keys, sums, "1")),
        # Fresh statistics: without them the planner read a large plant's new sums with a
        # parallel scan of the whole table instead of the covering index.
        f"ANALYZE {target}",
    ]


# A line's work orders per product and day (`DailyLineOrders`): each order counts on up to
# four days, by the stamp of each step (signalled, released, cancelled after a release,
# done), so its rows are a UNION ALL of one SELECT per step.
ORDERS, ORDERS_TARGET = "production_workorder", "production_dailylineorders"
ORDER_SUMS = [
    "signalled",
    "released",
    "dropped",
    "completed",
    "completed_from_wip",
    "done_orders",
    "lead_seconds",
    "cycle_orders",
    "cycle_seconds",
    "process_orders",
    "process_seconds",
    "wip_unit_seconds",
]
ORDER_KEY = "line_id, product_id, day"


def _seconds(later: str, earlier: str) -> str:
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


def _order_rows(source: str, sign: str) -> str:
    """The signed contributions of `source`'s orders, one row per (order, step)."""

    def step(
        stamp: str,
        where: str,
        values: dict[str, str],
        extremes: str = "NULL::numeric, NULL::numeric",
    ) -> str:
        cols = ", ".join(f"{values.get(name, '0')}" for name in ORDER_SUMS)
        return (
            f"SELECT line_id, product_id, production_flow_day({stamp}) AS day, {cols}, "
            f"{extremes} FROM {source} WHERE {stamp} IS NOT NULL{where}"
        )

    q = f"{sign} * quantity"
    released, started = "released_at IS NOT NULL", "started_at IS NOT NULL"
    lead, cycle = _seconds("completed_at", "created_at"), _seconds("completed_at", "released_at")
    done = {
        "completed": q,
        "completed_from_wip": f"CASE WHEN {released} THEN {q} ELSE 0 END",
        "done_orders": sign,
        "lead_seconds": f"{sign} * {lead}",
        "cycle_orders": f"CASE WHEN {released} THEN {sign} ELSE 0 END",
        "cycle_seconds": f"CASE WHEN {released} THEN {sign} * {cycle} ELSE 0 END",
        "process_orders": f"CASE WHEN {started} THEN {sign} ELSE 0 END",
        "process_seconds": (
            f"CASE WHEN {started} THEN {sign} * {_seconds('completed_at', 'started_at')} ELSE 0 END"
        ),
        "wip_unit_seconds": f"CASE WHEN {released} THEN {q} * {cycle} ELSE 0 END",
    }
    # The extremes come from the new rows only: they never shrink (see the model).
    extremes = f"{lead}, {lead}" if sign == "1" else "NULL::numeric, NULL::numeric"
    return " UNION ALL ".join(
        [
            step("created_at", "", {"signalled": q}),
            step("released_at", "", {"released": q}),
            step("cancelled_at", f" AND status = 'cancelled' AND {released}", {"dropped": q}),
            step("completed_at", " AND status = 'done'", done, extremes),
        ]
    )


def _order_upsert(rows: str) -> str:
    names = ", ".join([*ORDER_SUMS, "lead_min_seconds", "lead_max_seconds"])
    sums = ", ".join(f"sum({n})" for n in ORDER_SUMS)
    changed = " OR ".join(f"sum({n}) <> 0" for n in ORDER_SUMS)
    return (
        f"INSERT INTO {ORDERS_TARGET} AS t ({ORDER_KEY}, {names}) "
        f"SELECT {ORDER_KEY}, {sums}, min(lead_min), max(lead_max) "
        f"FROM ({rows}) AS d ({ORDER_KEY}, {', '.join(ORDER_SUMS)}, lead_min, lead_max) "
        f"GROUP BY {ORDER_KEY} HAVING {changed} OR min(lead_min) IS NOT NULL "
        f"ORDER BY {ORDER_KEY} ON CONFLICT ({ORDER_KEY}) DO UPDATE SET "
        + ", ".join(f"{n} = t.{n} + EXCLUDED.{n}" for n in ORDER_SUMS)
        + ", lead_min_seconds = LEAST(t.lead_min_seconds, EXCLUDED.lead_min_seconds)"
        + ", lead_max_seconds = GREATEST(t.lead_max_seconds, EXCLUDED.lead_max_seconds)"
    )


def orders_trigger_sql() -> list[str]:
    plus, minus = _order_rows("new_rows", "1"), _order_rows("old_rows", "-1")
    function = f"{ORDERS_TARGET}_apply"
    body = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_order_upsert(plus)};
    ELSIF TG_OP = 'DELETE' THEN
        {_order_upsert(minus)};
    ELSE
        {_order_upsert(plus + " UNION ALL " + minus)};
    END IF;
    RETURN NULL;
END $$
"""
    return [body, *_statement_triggers(ORDERS, ORDERS_TARGET), *always_sql(ORDERS, ORDERS_TARGET)]


def _statement_triggers(table: str, target: str) -> list[str]:
    statements = []
    for op, referencing in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        name = f"{target}_{op.lower()}"
        statements += [
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER {op} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {target}_apply()",
        ]
    return statements


def orders_rebuild_sql() -> list[str]:
    return [
        f"LOCK TABLE {ORDERS} IN SHARE MODE",
        f"DELETE FROM {ORDERS_TARGET}",
        _order_upsert(_order_rows(ORDERS, "1")),
        f"ANALYZE {ORDERS_TARGET}",
    ]


def install(cursor: Any, *, zone: str) -> None:
    """Create the day function (in `zone`) and the triggers, and fill the sums tables from
    scratch; safe to run again (`daily_flows_rebuild`)."""
    install_flows(cursor, zone=zone)
    install_orders(cursor)


def install_flows(cursor: Any, *, zone: str) -> None:
    """The ledger's and the demand's (migration 0014, before the work orders' table)."""
    cursor.execute(DAY_FUNCTION.format(zone=_literal(zone)))
    for flow in FLOWS:
        for statement in trigger_sql(*flow) + rebuild_sql(*flow):
            cursor.execute(statement)


def install_orders(cursor: Any) -> None:
    for statement in orders_trigger_sql() + orders_rebuild_sql():
        cursor.execute(statement)


def uninstall(cursor: Any) -> None:
    uninstall_orders(cursor)
    for table, target, _, _ in FLOWS:
        for op in ("insert", "update", "delete"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {target}_{op} ON {table}")
        cursor.execute(f"DROP FUNCTION IF EXISTS {target}_apply()")
    cursor.execute("DROP FUNCTION IF EXISTS production_flow_day(timestamptz)")


def uninstall_orders(cursor: Any) -> None:
    for op in ("insert", "update", "delete"):
        cursor.execute(f"DROP TRIGGER IF EXISTS {ORDERS_TARGET}_{op} ON {ORDERS}")
    cursor.execute(f"DROP FUNCTION IF EXISTS {ORDERS_TARGET}_apply()")


def _literal(zone: str) -> str:
    if not zone.replace("/", "").replace("_", "").replace("-", "").replace("+", "").isalnum():
        raise ValueError(f"Not a time zone name: {zone!r}")
    return f"'{zone}'"
