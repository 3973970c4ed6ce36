/**
 * Revenue over time and the best-selling products, from read models made for them: each order's
 * latest state (orders_by_created) and each order's lines (order_lines). An order cancelled after
 * it was counted leaves net revenue and product sales at once: both read its current status.
 */
import type { ClickHouse } from './client';
import { toClickHouseTime } from './eventLog';
import { AS_OF_SETTINGS, ordersAsOf, timeRange } from './history';
import { ORDER_COLUMNS, OrderRow, toView } from './orderQueries';
import { exactAmount } from '../domain/money';
import type { Granularity, OrderView, ProductSales, RevenueSeries } from '../api/ports';

const BUCKET_START: Record<Granularity, string> = { hour: 'toStartOfHour', day: 'toStartOfDay', month: 'toStartOfMonth' };

/** The UTC starts of every bucket that meets [from, to), in order. */
export function bucketStarts(from: Date, to: Date, granularity: Granularity): Date[] {
  const start = new Date(from);
  if (granularity === 'hour') start.setUTCMinutes(0, 0, 0);
  else start.setUTCHours(0, 0, 0, 0);
  if (granularity === 'month') start.setUTCDate(1);
  const starts: Date[] = [];
  for (const at = start; at < to;) {
    starts.push(new Date(at));
    if (granularity === 'hour') at.setUTCHours(at.getUTCHours() + 1);
    else if (granularity === 'day') at.setUTCDate(at.getUTCDate() + 1);
    else at.setUTCMonth(at.getUTCMonth() + 1);
  }
  return starts;
}

/**
 * Orders, total and net revenue per hour, day or month of creation; empty buckets included. With
 * `asOf`, each order counts as it stood then (src/clickhouse/history.ts), read from the event log.
 */
export async function revenueSeries(ch: ClickHouse, from: Date, to: Date, granularity: Granularity, asOf?: Date): Promise<RevenueSeries> {
  const result = await ch.reader.query({
    query: `SELECT
        toString(${BUCKET_START[granularity]}(created_at)) AS bucket,
        count() AS orders,
        countIf(status = 'CANCELLED') AS cancelled,
        toString(sum(total)) AS total_revenue,
        toString(sumIf(total, status != 'CANCELLED')) AS net_revenue
      FROM ${asOf ? ordersAsOf(ch.database) : `${ch.database}.orders_by_created FINAL`}
      WHERE created_at >= {from:DateTime64(3, 'UTC')} AND created_at < {to:DateTime64(3, 'UTC')}
      GROUP BY bucket
      ORDER BY bucket
      ${asOf ? AS_OF_SETTINGS : ''}`,
    query_params: timeRange(from, to, asOf),
    format: 'JSONEachRow',
  });
  type Row = { bucket: string; orders: string; cancelled: string; total_revenue: string; net_revenue: string };
  const found = new Map<number, Row>();
  for (const row of await result.json<Row>()) {
    found.set(Date.parse(`${row.bucket.replace(' ', 'T')}Z`), row);
  }
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    ...(asOf ? { asOf: asOf.toISOString() } : {}),
    granularity,
    buckets: bucketStarts(from, to, granularity).map((start) => {
      const row = found.get(start.getTime());
      return {
        start: start.toISOString(),
        orders: Number(row?.orders ?? 0),
        cancelledOrders: Number(row?.cancelled ?? 0),
        totalRevenue: exactAmount(row?.total_revenue ?? '0'),
        netRevenue: exactAmount(row?.net_revenue ?? '0'),
      };
    }),
  };
}

/** Units and revenue per product over orders created in [from, to) and not cancelled, best first. */
export async function topProducts(ch: ClickHouse, from: Date, to: Date, limit: number): Promise<ProductSales[]> {
  const db = ch.database;
  const result = await ch.reader.query({
    query: `SELECT product_id, sum(quantity) AS units, uniqExact(order_id) AS orders, toString(sum(revenue)) AS revenue_total
      FROM ${db}.order_lines FINAL
      WHERE created_at >= {from:DateTime64(3, 'UTC')} AND created_at < {to:DateTime64(3, 'UTC')}
        AND order_id NOT IN (
          SELECT order_id FROM ${db}.orders_by_created FINAL
          WHERE created_at >= {from:DateTime64(3, 'UTC')} AND created_at < {to:DateTime64(3, 'UTC')} AND status = 'CANCELLED'
        )
      GROUP BY product_id
      ORDER BY sum(revenue) DESC, product_id
      LIMIT {limit:UInt32}`,
    query_params: { from: toClickHouseTime(from.toISOString()), to: toClickHouseTime(to.toISOString()), limit },
    format: 'JSONEachRow',
  });
  return (await result.json<{ product_id: string; units: string; orders: string; revenue_total: string }>()).map((row) => ({
    productId: row.product_id,
    units: Number(row.units),
    orders: Number(row.orders),
    revenue: exactAmount(row.revenue_total),
  }));
}

/**
 * The most recently created orders, newest first (the last 30 days of orders are looked at). The
 * columns are qualified: the selected ones are aliased to strings under the same names.
 */
export async function recentOrders(ch: ClickHouse, limit: number): Promise<OrderView[]> {
  const db = ch.database;
  const result = await ch.reader.query({
    query: `SELECT ${ORDER_COLUMNS}
      FROM ${db}.orders_by_created AS o FINAL
      WHERE o.created_at >= (SELECT max(created_at) FROM ${db}.orders_by_created) - INTERVAL 30 DAY
      ORDER BY o.created_at DESC, o.order_id
      LIMIT {limit:UInt32}`,
    query_params: { limit },
    format: 'JSONEachRow',
  });
  return (await result.json<OrderRow>()).map(toView);
}
