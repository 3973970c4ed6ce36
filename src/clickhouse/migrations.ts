/**
 * The schema as versioned DDL, applied in order at start-up and recorded in `schema_migrations`.
 * Every statement is idempotent (IF NOT EXISTS), so a migration interrupted halfway is simply
 * run again. A released migration is never edited: a change is a new migration.
 *
 * Read models are derived only from `order_events`: each is a table fed by a materialized view,
 * and `npm run projections:rebuild` refills them from the log through the same view query.
 * Every read model tolerates an event delivered twice: it keeps the highest version per order,
 * and a second copy of a version replaces the first with the same row.
 */

export interface Migration {
  version: number;
  name: string;
  statements(ddl: Ddl): string[];
}

/**
 * What differs between one ClickHouse server and a cluster. On a cluster (`CLICKHOUSE_CLUSTER`)
 * every statement runs `ON CLUSTER` and every table is Replicated, one shard holding every order,
 * so that the latest version of an order is always on the node that answers for it.
 */
export interface Ddl {
  db: string;
  /** `' ON CLUSTER `name`'`, or nothing on one server. */
  onCluster: string;
  /** A MergeTree-family engine, Replicated on a cluster: `engine('ReplacingMergeTree', 'version')`. */
  engine(family: string, ...args: string[]): string;
  /**
   * Lets a duplicate insert block (a retried batch) be dropped by ClickHouse itself: the setting
   * for this kind of table.
   */
  dedup: string;
}

export function ddlFor(db: string, cluster?: string): Ddl {
  if (!cluster) {
    return {
      db,
      onCluster: '',
      engine: (family, ...args) => `${family}${args.length > 0 ? `(${args.join(', ')})` : ''}`,
      dedup: 'non_replicated_deduplication_window = 1000',
    };
  }
  return {
    db,
    onCluster: ` ON CLUSTER \`${cluster}\``,
    // The macros are the cluster's own ({shard}, {replica} from each node's configuration).
    engine: (family, ...args) => `Replicated${family}(${["'/clickhouse/tables/{shard}/{database}/{table}'", "'{replica}'", ...args].join(', ')})`,
    dedup: 'replicated_deduplication_window = 1000',
  };
}
const DATETIME = "DateTime64(3, 'UTC')";

/** The order as an event leaves it: the columns every order read model holds. */
const ORDER_COLUMNS = `
        order_id String,
        customer_id String,
        customer_name String,
        item_count UInt32,
        total Decimal(18, 2),
        status LowCardinality(String),
        created_at ${DATETIME},
        updated_at ${DATETIME},
        version UInt32,
        customer_name_given Bool`;

/** The same, selected from a row of the event log. */
const ORDER_FROM_EVENT = 'order_id, customer_id, customer_name, item_count, total, status, created_at, occurred_at AS updated_at, version, customer_name_given';

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'event log',
    statements: ({ db, onCluster, engine, dedup }) => [
      // The event log fsyncs each insert: it is the source of truth, and an activity reports
      // success only after its insert returns. Read models need not: they can be rebuilt from it.
      `CREATE TABLE IF NOT EXISTS ${db}.order_events${onCluster}
      (
        event_id String,
        event_type LowCardinality(String),
        schema_version UInt16,
        order_id String,
        version UInt32,
        occurred_at ${DATETIME},
        command_id String,
        correlation_id String,
        payload String COMMENT 'the event payload as JSON',
        previous_status LowCardinality(String) COMMENT 'the status before this event; empty for OrderCreated',
        status LowCardinality(String) COMMENT 'the status after this event',
        customer_id String COMMENT 'the order after this event',
        customer_name String COMMENT 'the order after this event',
        customer_name_given Bool COMMENT 'the client gave the customer name with the order (false: the service filled it in)',
        item_count UInt32 COMMENT 'the order after this event: number of line items',
        total Decimal(18, 2) COMMENT 'the order after this event',
        created_at ${DATETIME} COMMENT 'when the order was created',
        recorded_at ${DATETIME} DEFAULT now64(3)
      )
      ENGINE = ${engine('ReplacingMergeTree')}
      PARTITION BY toYYYYMM(occurred_at)
      ORDER BY (order_id, version)
      SETTINGS ${dedup}, fsync_after_insert = 1
      COMMENT 'Append-only log of order events, each with the order it leaves behind; (order_id, version) identifies an event'`,
    ],
  },
  {
    version: 2,
    name: 'read models',
    statements: ({ db, onCluster, engine, dedup }) => [
      // Each read model holds the latest row per order (highest version wins), sorted for its query.
      // Every table here costs a part per insert of the event log, so there are only three.
      // Lists by status read this table in orderId order, FINAL, filtering on the latest status:
      // with every status common that stops after a page's worth of rows. A table sorted by status
      // measured slower (its FINAL merges the whole status range) and costs a row per status change.
      `CREATE TABLE IF NOT EXISTS ${db}.orders_by_id${onCluster} (${ORDER_COLUMNS})
      ENGINE = ${engine('ReplacingMergeTree', 'version')}
      ORDER BY order_id
      SETTINGS ${dedup}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.orders_by_id_mv${onCluster} TO ${db}.orders_by_id AS
      SELECT ${ORDER_FROM_EVENT} FROM ${db}.order_events`,

      // Also answers the name a customer last gave (its orders with customer_name_given).
      `CREATE TABLE IF NOT EXISTS ${db}.orders_by_customer${onCluster} (${ORDER_COLUMNS})
      ENGINE = ${engine('ReplacingMergeTree', 'version')}
      ORDER BY (customer_id, order_id)
      SETTINGS ${dedup}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.orders_by_customer_mv${onCluster} TO ${db}.orders_by_customer AS
      SELECT ${ORDER_FROM_EVENT} FROM ${db}.order_events`,

      // Statistics read a range of creation times.
      `CREATE TABLE IF NOT EXISTS ${db}.orders_by_created${onCluster} (${ORDER_COLUMNS})
      ENGINE = ${engine('ReplacingMergeTree', 'version')}
      PARTITION BY toYYYYMM(created_at)
      ORDER BY (created_at, order_id)
      SETTINGS ${dedup}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.orders_by_created_mv${onCluster} TO ${db}.orders_by_created AS
      SELECT ${ORDER_FROM_EVENT} FROM ${db}.order_events`,
    ],
  },
  {
    version: 3,
    name: 'order lines for analytics',
    statements: ({ db, onCluster, engine, dedup }) => [
      // One row per line of every order, from its OrderCreated event: lines never change after.
      // Whether an order counts (not cancelled) is read from orders_by_created at query time, so a
      // cancellation after the fact changes the answer at once, with nothing to correct here.
      `CREATE TABLE IF NOT EXISTS ${db}.order_lines${onCluster}
      (
        order_id String,
        line UInt16 COMMENT 'position of the line in the order, from 1',
        product_id String,
        quantity UInt32,
        price Decimal(18, 2) COMMENT 'unit price',
        revenue Decimal(18, 2) COMMENT 'quantity × price',
        customer_id String,
        created_at ${DATETIME} COMMENT 'when the order was created'
      )
      ENGINE = ${engine('ReplacingMergeTree')}
      PARTITION BY toYYYYMM(created_at)
      ORDER BY (created_at, order_id, line)
      SETTINGS ${dedup}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.order_lines_mv${onCluster} TO ${db}.order_lines AS
      SELECT
        order_id,
        toUInt16(line_number) AS line,
        JSONExtractString(item, 'productId') AS product_id,
        toUInt32(JSONExtractUInt(item, 'quantity')) AS quantity,
        toDecimal64(JSONExtractRaw(item, 'price'), 2) AS price,
        toDecimal64(quantity * price, 2) AS revenue,
        customer_id,
        created_at
      FROM ${db}.order_events
      ARRAY JOIN JSONExtractArrayRaw(payload, 'items') AS item, arrayEnumerate(JSONExtractArrayRaw(payload, 'items')) AS line_number
      WHERE event_type = 'OrderCreated'`,
    ],
  },
  {
    version: 4,
    name: 'events the log refused',
    statements: ({ db, onCluster, engine }) => [
      // An event the log refused for good, kept for operators while its workflow holds it (and the
      // order's later events) until a redelivery. Not a read model: nothing here is derived from
      // the log. A redelivery writes the row again with redelivered_at; the latest row wins.
      `CREATE TABLE IF NOT EXISTS ${db}.order_events_rejected${onCluster}
      (
        event_id String,
        order_id String,
        version UInt32,
        event String COMMENT 'the event and the order after it, as its workflow holds it (JSON)',
        reason String COMMENT 'what the event log answered',
        refused_at ${DATETIME},
        redelivered_at Nullable(${DATETIME}) COMMENT 'when a redelivery wrote it to the log; NULL while it waits',
        changed_at DateTime64(6, 'UTC')
      )
      ENGINE = ${engine('ReplacingMergeTree', 'changed_at')}
      ORDER BY (order_id, version)
      COMMENT 'Events the event log refused, each waiting in its order workflow until redelivered (POST /admin/events/redeliver)'`,
    ],
  },
];

/** The read-model tables and the views that feed them, in the order a rebuild refills them. */
export const PROJECTIONS = [
  { table: 'orders_by_id', view: 'orders_by_id_mv' },
  { table: 'orders_by_customer', view: 'orders_by_customer_mv' },
  { table: 'orders_by_created', view: 'orders_by_created_mv' },
  { table: 'order_lines', view: 'order_lines_mv' },
] as const;
