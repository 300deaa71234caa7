"""The plant builder's statements: master data, demand, orders and their history, the
closing stocktake. Each is set-based SQL (`generate_series`), run by `kanban.plant`."""

MASTER_SQL = [
    """
    INSERT INTO production_productionline
        (id, code, name, mode, capacity_per_day, wip_limit, created_at)
    SELECT %(line_off)s + 1 + i, format('plant-line-%%s', lpad((i + 1)::text, 2, '0')),
           CASE WHEN i < %(finished_lines)s THEN format('Assembly line %%s', i + 1)
                ELSE format('Component line %%s', i + 1) END,
           CASE WHEN i < %(finished_lines)s AND i %% 8 = 1 THEN 'push' ELSE 'pull' END,
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

# Demand only for finished goods, skewed (index = F x u^2), in time order with the id (and
# with the external id, zero-padded: its unique index is appended to, not filled at random).
DEMAND_SQL = """
INSERT INTO production_demandevent
    (id, product_id, quantity, occurred_at, source, external_id, status,
     backordered_quantity, open_backorder_quantity, processed_at, created_at)
SELECT %(demand_off)s + g, %(product_off)s + 1 + floor(%(finished)s * power(random(), 2))::int,
       1 + floor(random() * 5), t, %(source)s, 'plant-' || lpad(g::text, 10, '0'), 'fulfilled', 0, 0,
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
        WHERE d.id BETWEEN %(demand_lo)s AND %(demand_hi)s AND d.source = %(source)s
          AND d.occurred_at >= %(low)s AND d.occurred_at < %(high)s
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
