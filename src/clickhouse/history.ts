/**
 * The past, read from the event log (`order_events`), the one table whose meaning never changes:
 * an order's events in version order, and every order of a range of creation times as it stood at
 * a past instant. The read models hold only each order's latest state, so neither can come from
 * them. The log may hold a second copy of an event (a retried append) until a merge: every query
 * here reads one row per event.
 */
import type { OrderEvent } from '../domain/order';
import type { EventRange } from '../api/ports';
import type { ClickHouse } from './client';
import { decodePosition, encodePosition } from './cursors';
import { fromClickHouseTime, toClickHouseTime } from './eventLog';

interface EventLogRow {
  event_id: string;
  event_type: OrderEvent['eventType'];
  order_id: string;
  version: number | string;
  occurred: string;
  command_id: string;
  correlation_id: string;
  payload: string;
}

/** An event as the log holds it; the payload is the event's own, written as JSON by the service. */
function toEvent(row: EventLogRow): OrderEvent {
  return {
    eventId: row.event_id,
    eventType: row.event_type,
    schemaVersion: 1,
    orderId: row.order_id,
    version: Number(row.version),
    occurredAt: fromClickHouseTime(row.occurred),
    commandId: row.command_id,
    correlationId: row.correlation_id,
    payload: JSON.parse(row.payload) as never,
  } as OrderEvent;
}

/** An order's events in version order, within `range`; none for an order the log does not hold. */
export async function orderEvents(ch: ClickHouse, orderId: string, range: EventRange = {}): Promise<OrderEvent[]> {
  const conditions = ['order_id = {orderId:String}', 'version > {afterVersion:UInt32}'];
  if (range.asOf) conditions.push("occurred_at <= {asOf:DateTime64(3, 'UTC')}");
  const result = await ch.reader.query({
    query: `SELECT event_id, event_type, order_id, version, toString(occurred_at) AS occurred, command_id, correlation_id, payload
      FROM ${ch.database}.order_events
      WHERE ${conditions.join(' AND ')}
      ORDER BY version
      LIMIT 1 BY version
      ${range.limit === undefined ? '' : 'LIMIT {limit:UInt32}'}`,
    query_params: {
      orderId,
      afterVersion: range.afterVersion ?? 0,
      ...(range.asOf ? { asOf: toClickHouseTime(range.asOf.toISOString()) } : {}),
      ...(range.limit === undefined ? {} : { limit: range.limit }),
    },
    format: 'JSONEachRow',
  });
  return (await result.json<EventLogRow>()).map(toEvent);
}

/** Where a page of an order's events ended: the order and the last version it showed. */
export interface EventPosition {
  orderId: string;
  version: number;
}

export function encodeEventCursor(position: EventPosition): string {
  return encodePosition({ order: position.orderId, version: position.version });
}

/** The position an events cursor holds, or undefined when it is not one this API issued. */
export function decodeEventCursor(cursor: string): EventPosition | undefined {
  const position = decodePosition(cursor);
  const version = position?.version;
  if (typeof position?.order !== 'string' || typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > 0xffffffff) {
    return undefined;
  }
  return { orderId: position.order, version };
}

/**
 * Every order created in [{from}, {to}) as it stood at {asOf}, one row each, as a subquery with
 * the columns the statistics read (`order_id`, `created_at`, `status`, `total`): each order's
 * latest event by then carries the order as that event left it. An order created after {asOf}
 * has no event by then, so it is not there; an order cancelled after {asOf} is there as it was.
 * Its events occur at or after its creation, so `occurred_at >= {from}` keeps the read to the
 * log's partitions from {from} to {asOf}. The log's columns are named through its alias, which
 * the subquery's own names (created_at, status, total) would otherwise hide.
 */
export function ordersAsOf(db: string): string {
  return `(
    SELECT order_id, any(e.created_at) AS created_at, argMax(e.status, e.version) AS status, argMax(e.total, e.version) AS total
    FROM ${db}.order_events AS e
    WHERE e.occurred_at >= {from:DateTime64(3, 'UTC')} AND e.occurred_at <= {asOf:DateTime64(3, 'UTC')}
      AND e.created_at >= {from:DateTime64(3, 'UTC')} AND e.created_at < {to:DateTime64(3, 'UTC')}
    GROUP BY order_id
  )`;
}

/**
 * For a query over `ordersAsOf`: the log is sorted by order, so its events are grouped as they
 * are read, without a hash table of every order of the range.
 */
export const AS_OF_SETTINGS = 'SETTINGS optimize_aggregation_in_order = 1';

/** The parameters of a query over [from, to), as of `asOf` when given. */
export function timeRange(from: Date, to: Date, asOf?: Date): Record<string, string> {
  const at = (instant: Date) => toClickHouseTime(instant.toISOString());
  return { from: at(from), to: at(to), ...(asOf ? { asOf: at(asOf) } : {}) };
}
