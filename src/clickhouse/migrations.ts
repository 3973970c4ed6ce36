/**
 * The schema as versioned DDL, applied in order at start-up and recorded in `schema_migrations`.
 * Every statement is idempotent (IF NOT EXISTS), so a migration interrupted halfway is simply
 * run again. A released migration is never edited: a change is a new migration.
 *
 * Read models are derived only from `order_events`: each is a table fed by a materialized view,
 * and `npm run projections:rebuild` refills them from the log through the same view query.
 * Every read model tolerates an event delivered twice: its rows are keyed by the event and
 * merged with idempotent functions (max, min, argMax, replace by version).
 */

export interface Migration {
  version: number;
  name: string;
  statements(db: string): string[];
}

/**
 * Lets a duplicate insert block (a retried batch) be dropped by ClickHouse itself. The event log
 * also fsyncs each insert: it is the source of truth, and an activity reports success only after
 * its insert returns. Read models need not: they can be rebuilt from the log.
 */
const DEDUP = 'non_replicated_deduplication_window = 1000';
const DATETIME = "DateTime64(3, 'UTC')";

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'event log',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.order_events
      (
        event_id String,
        event_type LowCardinality(String),
        schema_version UInt16,
        order_id String,
        version UInt32,
        occurred_at ${DATETIME},
        command_id String,
        correlation_id String,
        customer_id String COMMENT 'OrderCreated only',
        customer_name String COMMENT 'OrderCreated only',
        customer_name_given Bool COMMENT 'OrderCreated only: false when the service filled the name in',
        item_count UInt32 COMMENT 'OrderCreated only',
        total Decimal(18, 2) COMMENT 'OrderCreated only',
        previous_status LowCardinality(String) COMMENT 'empty for OrderCreated',
        status LowCardinality(String) COMMENT 'the status the order has after this event',
        payload String COMMENT 'the event payload as JSON',
        recorded_at ${DATETIME} DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(occurred_at)
      ORDER BY (order_id, version)
      SETTINGS ${DEDUP}, fsync_after_insert = 1
      COMMENT 'Append-only log of order events; (order_id, version) identifies an event, duplicates merge away'`,
    ],
  },
  {
    version: 2,
    name: 'read models',
    statements: (db) => [
      // The latest state of each order, one row per event merged by order_id.
      `CREATE TABLE IF NOT EXISTS ${db}.orders_state
      (
        order_id String,
        customer_id SimpleAggregateFunction(max, String),
        customer_name SimpleAggregateFunction(max, String),
        item_count SimpleAggregateFunction(max, UInt32),
        total SimpleAggregateFunction(max, Decimal(18, 2)),
        created_at SimpleAggregateFunction(min, ${DATETIME}),
        updated_at SimpleAggregateFunction(max, ${DATETIME}),
        version SimpleAggregateFunction(max, UInt32),
        status AggregateFunction(argMax, LowCardinality(String), UInt32)
      )
      ENGINE = AggregatingMergeTree
      ORDER BY order_id
      SETTINGS ${DEDUP}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.orders_state_mv TO ${db}.orders_state AS
      SELECT order_id, customer_id, customer_name, item_count, total,
             occurred_at AS created_at, occurred_at AS updated_at, version,
             argMaxState(status, version) AS status
      FROM ${db}.order_events
      GROUP BY order_id, customer_id, customer_name, item_count, total, occurred_at, version`,

      // Orders by creation time, for statistics over a date range.
      `CREATE TABLE IF NOT EXISTS ${db}.orders_created
      (
        created_at ${DATETIME},
        order_id String,
        customer_id String,
        total Decimal(18, 2)
      )
      ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(created_at)
      ORDER BY (created_at, order_id)
      SETTINGS ${DEDUP}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.orders_created_mv TO ${db}.orders_created AS
      SELECT occurred_at AS created_at, order_id, customer_id, total
      FROM ${db}.order_events
      WHERE event_type = 'OrderCreated'`,

      // Each customer's orders.
      `CREATE TABLE IF NOT EXISTS ${db}.orders_by_customer
      (
        customer_id String,
        order_id String
      )
      ENGINE = ReplacingMergeTree
      ORDER BY (customer_id, order_id)
      SETTINGS ${DEDUP}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.orders_by_customer_mv TO ${db}.orders_by_customer AS
      SELECT customer_id, order_id
      FROM ${db}.order_events
      WHERE event_type = 'OrderCreated'`,

      // Orders in each status: an event marks the order present in its new status and gone from
      // its previous one; the row with the highest version per (status, order) wins.
      `CREATE TABLE IF NOT EXISTS ${db}.orders_by_status
      (
        status LowCardinality(String),
        order_id String,
        version UInt32,
        is_deleted UInt8
      )
      ENGINE = ReplacingMergeTree(version, is_deleted)
      ORDER BY (status, order_id)
      SETTINGS ${DEDUP}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.orders_by_status_mv TO ${db}.orders_by_status AS
      SELECT entry.1 AS status, order_id, version, entry.2 AS is_deleted
      FROM (
        SELECT order_id, version,
               if(previous_status = '', [(status, 0)], [(status, 0), (previous_status, 1)]) AS entries
        FROM ${db}.order_events
      )
      ARRAY JOIN entries AS entry`,

      // The name each customer last gave, used when a new order comes without one.
      `CREATE TABLE IF NOT EXISTS ${db}.customers
      (
        customer_id String,
        customer_name AggregateFunction(argMax, String, ${DATETIME})
      )
      ENGINE = AggregatingMergeTree
      ORDER BY customer_id
      SETTINGS ${DEDUP}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.customers_mv TO ${db}.customers AS
      SELECT customer_id, argMaxState(customer_name, occurred_at) AS customer_name
      FROM ${db}.order_events
      WHERE event_type = 'OrderCreated' AND customer_name_given
      GROUP BY customer_id`,
    ],
  },
];

/** The read-model tables and the views that feed them, in the order a rebuild refills them. */
export const PROJECTIONS = [
  { table: 'orders_state', view: 'orders_state_mv' },
  { table: 'orders_created', view: 'orders_created_mv' },
  { table: 'orders_by_customer', view: 'orders_by_customer_mv' },
  { table: 'orders_by_status', view: 'orders_by_status_mv' },
  { table: 'customers', view: 'customers_mv' },
] as const;
