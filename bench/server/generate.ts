/**
 * Loads a year of synthetic orders straight into the event log, INSERT … SELECT from generated
 * rows, so the materialized views fill the read models exactly as live events do. Orders are
 * `g-000000001`…, customers `gc-…` with a skew (a few customers have many orders), all five
 * statuses, creation times spread over `year`. Deterministic for a given count.
 */
import type { ClickHouse } from '../../src/clickhouse/client';

export interface GenerateOptions {
  orders: number;
  /** Orders per INSERT; progress is reported after each. */
  chunk?: number;
  /** The year the orders are created in (UTC). */
  year?: number;
}

export interface GenerateProgress {
  orders: number;
  total: number;
  millis: number;
}

/** Customers are a tenth of the orders; the square of a uniform draw skews orders to the first ones. */
export function generatedCustomerCount(orders: number): number {
  return Math.max(1, Math.floor(orders / 10));
}

export function generatedOrderId(n: number): string {
  return `g-${String(n).padStart(9, '0')}`;
}

export function generatedCustomerId(n: number): string {
  return `gc-${String(n).padStart(8, '0')}`;
}

function insertSql(db: string): string {
  return `
INSERT INTO ${db}.order_events
  (event_id, event_type, schema_version, order_id, version, occurred_at, command_id, correlation_id, payload,
   previous_status, status, customer_id, customer_name, customer_name_given, item_count, total, created_at)
SELECT
  concat(order_id, ':', toString(v)) AS event_id,
  multiIf(v = 1, 'OrderCreated', path[v] = 'CANCELLED', 'OrderCancelled', 'OrderStatusChanged') AS event_type,
  1 AS schema_version,
  order_id,
  v AS version,
  created + toIntervalHour(3 * (v - 1)) AS occurred_at,
  concat('gen-', event_id) AS command_id,
  'generated' AS correlation_id,
  multiIf(
    v = 1, concat('{"customerId":"', customer_id, '","customerName":"', customer_name,
                  '","customerNameGiven":true,"items":[{"productId":"p-', toString(h % 500), '","quantity":', toString(items),
                  ',"price":', toString(price), '}],"total":', toString(total), '}'),
    path[v] = 'CANCELLED', concat('{"previousStatus":"', path[v - 1], '","reason":"generated"}'),
    concat('{"oldStatus":"', path[v - 1], '","newStatus":"', path[v], '"}')) AS payload,
  if(v = 1, '', path[v - 1]) AS previous_status,
  path[v] AS status,
  customer_id,
  customer_name,
  true AS customer_name_given,
  items AS item_count,
  total,
  created AS created_at
FROM
(
  SELECT
    number AS n,
    cityHash64(number, 'order') AS h,
    concat('g-', leftPad(toString(number), 9, '0')) AS order_id,
    toUInt64(floor({customers:UInt64} * pow((cityHash64(number, 'customer') % 1000000) / 1000000, 2))) AS c,
    concat('gc-', leftPad(toString(c), 8, '0')) AS customer_id,
    concat('Customer ', toString(c)) AS customer_name,
    toDateTime64({yearStart:String}, 3, 'UTC') + toIntervalMillisecond(h % (365 * 86400000)) AS created,
    toUInt32(1 + h % 5) AS items,
    -- whole cents, as the domain takes them: a price from 1.00 to 200.99, the total exactly items × price
    toDecimal64(100 + intDiv(h, 7) % 20000, 2) / 100 AS price,
    price * items AS total,
    multiIf(h % 100 < 10, ['PENDING'],
            h % 100 < 20, ['PENDING', 'CONFIRMED'],
            h % 100 < 35, ['PENDING', 'CONFIRMED', 'SHIPPED'],
            h % 100 < 85, ['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED'],
            h % 100 < 92, ['PENDING', 'CANCELLED'],
                          ['PENDING', 'CONFIRMED', 'CANCELLED']) AS path
  FROM numbers({first:UInt64}, {count:UInt64})
)
ARRAY JOIN arrayEnumerate(path) AS v`;
}

export async function generateOrders(
  ch: ClickHouse,
  options: GenerateOptions,
  onProgress: (progress: GenerateProgress) => void = () => {},
): Promise<GenerateProgress> {
  const chunk = options.chunk ?? 500_000;
  const sql = insertSql(ch.database);
  const shape = { customers: generatedCustomerCount(options.orders), yearStart: `${options.year ?? 2025}-01-01 00:00:00` };
  const started = Date.now();
  let done = 0;
  while (done < options.orders) {
    const count = Math.min(chunk, options.orders - done);
    await ch.client.command({ query: sql, query_params: { ...shape, first: done, count } });
    done += count;
    onProgress({ orders: done, total: options.orders, millis: Date.now() - started });
  }
  return { orders: done, total: options.orders, millis: Date.now() - started };
}
