/**
 * `order_events_rejected`: the events the event log refused for good, for operators. The events
 * themselves stay in their order workflows (nothing is lost if this table is); this is where
 * metrics, readiness and the redelivery find which orders are held, and why.
 */
import type { ClickHouse } from './client';
import { fromClickHouseTime, toClickHouseTime } from './eventLog';
import type { RecordedEvent } from '../domain/order';
import type { WaitingEvent } from '../api/ports';

/** What the delivery activity needs: record a refusal, and mark one redelivered. */
export interface RefusedEvents {
  record(refused: RecordedEvent, reason: string): Promise<void>;
  redelivered(eventId: string): Promise<void>;
}

const nowInClickHouse = () => toClickHouseTime(new Date().toISOString());

export function refusedEventsIn(ch: ClickHouse): RefusedEvents {
  const table = `${ch.database}.order_events_rejected`;
  return {
    async record({ event, order }, reason) {
      const now = nowInClickHouse();
      await ch.client.insert({
        table,
        values: [
          {
            event_id: event.eventId,
            order_id: event.orderId,
            version: event.version,
            event: JSON.stringify({ event, order }),
            reason,
            refused_at: now,
            redelivered_at: null,
            changed_at: now,
          },
        ],
        format: 'JSONEachRow',
      });
    },
    async redelivered(eventId) {
      await ch.client.command({
        query: `INSERT INTO ${table} (event_id, order_id, version, event, reason, refused_at, redelivered_at, changed_at)
                SELECT event_id, order_id, version, event, reason, refused_at, now64(3), now64(6)
                FROM ${table} FINAL WHERE event_id = {eventId:String} AND redelivered_at IS NULL`,
        query_params: { eventId },
      });
    },
  };
}

/** How many events wait for a redelivery. */
export async function countAwaitingRedelivery(ch: ClickHouse): Promise<number> {
  const result = await ch.client.query({
    query: `SELECT count() AS waiting FROM ${ch.database}.order_events_rejected FINAL WHERE redelivered_at IS NULL`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ waiting: string | number }>();
  return Number(row?.waiting ?? 0);
}

/** How many events wait for a redelivery, and the oldest `limit` of them. */
export async function eventsAwaitingRedelivery(ch: ClickHouse, limit: number): Promise<{ count: number; oldest: WaitingEvent[] }> {
  const result = await ch.client.query({
    query: `SELECT order_id, event_id, version, reason, refused_at, count() OVER () AS waiting
            FROM ${ch.database}.order_events_rejected FINAL
            WHERE redelivered_at IS NULL
            ORDER BY refused_at, order_id, version
            LIMIT {limit:UInt32}`,
    query_params: { limit },
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ order_id: string; event_id: string; version: number; reason: string; refused_at: string; waiting: string | number }>();
  return {
    count: rows.length > 0 ? Number(rows[0].waiting) : 0,
    oldest: rows.map((row) => ({
      orderId: row.order_id,
      eventId: row.event_id,
      version: Number(row.version),
      reason: row.reason,
      refusedAt: fromClickHouseTime(row.refused_at),
    })),
  };
}
