/**
 * The redelivery of events the event log refused: once an operator has fixed the cause, each order
 * holding one is asked to deliver its outbox again. The events come from the workflows, which never
 * let go of them; `order_events_rejected` only says which orders to ask.
 */
import type { RedeliveryReport } from '../api/ports';
import type { ClickHouse } from '../clickhouse/client';
import { eventsAwaitingRedelivery } from '../clickhouse/refusedEvents';
import type { OrderGateway } from './orderGateway';

/** The most orders one redelivery asks; a larger backlog takes more than one call. */
const ORDERS_PER_REDELIVERY = 1000;

export async function redeliverRefusedEvents(ch: ClickHouse, gateway: Pick<OrderGateway, 'redeliver'>): Promise<RedeliveryReport> {
  const waiting = await eventsAwaitingRedelivery(ch, ORDERS_PER_REDELIVERY);
  const report: RedeliveryReport = { asked: [], failed: [], remaining: waiting.count - waiting.oldest.length };
  for (const event of waiting.oldest) {
    try {
      await gateway.redeliver(event.orderId);
      report.asked.push(event);
    } catch (error) {
      report.failed.push({ orderId: event.orderId, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return report;
}
