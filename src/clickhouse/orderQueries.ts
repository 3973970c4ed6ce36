/**
 * Queries on the read models. Every value is bound as a parameter; only the database name, a
 * checked identifier, is written into the SQL.
 */
import type { ClickHouse } from './client';
import { decodePosition, encodePosition } from './cursors';
import { fromClickHouseTime, toClickHouseTime } from './eventLog';
import { AS_OF_SETTINGS, ordersAsOf, timeRange } from './history';
import { averageAmount, centsFromDecimalString, exactAmount, toAmount } from '../domain/money';
import { ORDER_STATUSES, OrderStatus } from '../domain/order';
import type { OrderListFilter, OrderPage, OrderStatistics, OrderView } from '../api/ports';

export interface OrderRow {
  order_id: string;
  customer_id: string;
  customer_name: string;
  item_count: number | string;
  total: string;
  status: OrderStatus;
  created_at: string;
  updated_at: string;
  version: number | string;
}

/** Read models keep every version until merges catch up; FINAL reads the latest one per order. */
export const ORDER_COLUMNS = `
  order_id, customer_id, customer_name, item_count, toString(total) AS total, status,
  toString(created_at) AS created_at, toString(updated_at) AS updated_at, version`;

export function toView(row: OrderRow): OrderView {
  return {
    orderId: row.order_id,
    customerId: row.customer_id,
    customerName: row.customer_name,
    itemCount: Number(row.item_count),
    total: toAmount(centsFromDecimalString(row.total)),
    status: row.status,
    createdAt: fromClickHouseTime(row.created_at),
    updatedAt: fromClickHouseTime(row.updated_at),
    version: Number(row.version),
  };
}

async function rows<T>(ch: ClickHouse, query: string, params: Record<string, unknown>): Promise<T[]> {
  const result = await ch.reader.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

/** The order with this id, or undefined. */
export async function orderById(ch: ClickHouse, orderId: string): Promise<OrderView | undefined> {
  const [row] = await rows<OrderRow>(ch, `SELECT ${ORDER_COLUMNS} FROM ${ch.database}.orders_by_id FINAL WHERE order_id = {orderId:String}`, { orderId });
  return row ? toView(row) : undefined;
}

/**
 * Whether every other read model holds this version of the order too. One insert feeds all the
 * read models, but each commits on its own, in an order ClickHouse does not promise: a reader can
 * see the order's own row before the lists and statistics have it. Asked only while a client waits
 * for a version (`?minVersion=`), so that "reached" means reached everywhere.
 */
export async function otherReadModelsAt(ch: ClickHouse, view: OrderView, version: number): Promise<boolean> {
  const db = ch.database;
  const [row] = await rows<{ by_customer: number | string; by_created: number | string; lines: number | string }>(
    ch,
    `SELECT
       (SELECT max(version) FROM ${db}.orders_by_customer WHERE customer_id = {customerId:String} AND order_id = {orderId:String}) AS by_customer,
       (SELECT max(version) FROM ${db}.orders_by_created WHERE created_at = {createdAt:DateTime64(3, 'UTC')} AND order_id = {orderId:String}) AS by_created,
       (SELECT count() FROM ${db}.order_lines WHERE created_at = {createdAt:DateTime64(3, 'UTC')} AND order_id = {orderId:String}) AS lines`,
    { orderId: view.orderId, customerId: view.customerId, createdAt: toClickHouseTime(view.createdAt) },
  );
  return Number(row?.by_customer ?? 0) >= version && Number(row?.by_created ?? 0) >= version && Number(row?.lines ?? 0) > 0;
}

/** A page of orders in orderId order, filtered by status and/or customer, each from the read model sorted for it. */
export async function listOrders(ch: ClickHouse, filter: OrderListFilter): Promise<OrderPage> {
  const db = ch.database;
  const conditions = ['order_id > {after:String}'];
  let table = 'orders_by_id';
  if (filter.customerId !== undefined) {
    table = 'orders_by_customer';
    conditions.unshift('customer_id = {customerId:String}');
  }
  // Without PREWHERE, FINAL picks each order's latest row before this filter sees it.
  if (filter.status !== undefined) conditions.push('status = {status:String}');
  const found = await rows<OrderRow>(
    ch,
    `SELECT ${ORDER_COLUMNS}
     FROM ${db}.${table} FINAL
     WHERE ${conditions.join(' AND ')}
     ORDER BY order_id
     LIMIT {limit:UInt32}`,
    { after: filter.after ?? '', customerId: filter.customerId ?? '', status: filter.status ?? '', limit: filter.limit + 1 },
  );
  const page = found.slice(0, filter.limit).map(toView);
  const nextCursor = found.length > filter.limit ? encodeCursor(page[page.length - 1].orderId) : null;
  return { orders: page, nextCursor };
}

/** A page's cursor: the last orderId of the page. */
export function encodeCursor(orderId: string): string {
  return encodePosition({ after: orderId });
}

/** The orderId a cursor stands for, or undefined when it is not one of ours. */
export function decodeCursor(cursor: string): string | undefined {
  const after = decodePosition(cursor)?.after;
  return typeof after === 'string' ? after : undefined;
}

/**
 * Statistics over orders created in [from, to): totalRevenue and averageOrderValue over every order
 * (as in the guide), netRevenue without cancelled orders. The sums are ClickHouse's Decimal
 * arithmetic and stay its exact text; so do the sums of /analytics/revenue, to the cent. With
 * `asOf`, each order counts as it stood then (src/clickhouse/history.ts), read from the event log.
 */
export async function orderStatistics(ch: ClickHouse, from: Date, to: Date, asOf?: Date): Promise<OrderStatistics> {
  const [row] = await rows<{ orders: number | string; total_revenue: string; net_revenue: string; by_status: Record<string, number | string> }>(
    ch,
    `SELECT count() AS orders, toString(sum(total)) AS total_revenue, toString(sumIf(total, status != 'CANCELLED')) AS net_revenue,
       sumMap(map(status, toUInt64(1))) AS by_status
     FROM ${asOf ? ordersAsOf(ch.database) : `${ch.database}.orders_by_created FINAL`}
     WHERE created_at >= {from:DateTime64(3, 'UTC')} AND created_at < {to:DateTime64(3, 'UTC')}
     ${asOf ? AS_OF_SETTINGS : ''}`,
    timeRange(from, to, asOf),
  );
  const totalOrders = Number(row.orders);
  const totalRevenue = exactAmount(row.total_revenue);
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    ...(asOf ? { asOf: asOf.toISOString() } : {}),
    totalOrders,
    totalRevenue,
    netRevenue: exactAmount(row.net_revenue),
    averageOrderValue: averageAmount(totalRevenue, totalOrders),
    ordersByStatus: Object.fromEntries(ORDER_STATUSES.map((status) => [status, Number(row.by_status[status] ?? 0)])) as Record<OrderStatus, number>,
  };
}

/** The name a customer last gave with an order, if any. */
export async function lastCustomerName(ch: ClickHouse, customerId: string): Promise<string | undefined> {
  const [row] = await rows<{ name: string }>(
    ch,
    `SELECT customer_name AS name
     FROM ${ch.database}.orders_by_customer FINAL
     WHERE customer_id = {customerId:String} AND customer_name_given
     ORDER BY created_at DESC, order_id DESC
     LIMIT 1`,
    { customerId },
  );
  return row?.name || undefined;
}

/** Cheap round trip for readiness. */
export async function pingClickHouse(ch: ClickHouse): Promise<void> {
  const result = await ch.client.ping();
  if (!result.success) throw result.error;
}
