/**
 * Appending to `order_events`. Events from every workflow in this worker are gathered into one
 * insert (chDB ignores async_insert, and ClickHouse prefers few large inserts to many small ones):
 * while one insert runs, the next batch fills, and each caller is answered only once the insert
 * holding its events has been acknowledged.
 */
import type { ClickHouse } from './client';
import type { OrderEvent, RecordedEvent } from '../domain/order';
import { toDecimalString } from '../domain/money';

export interface EventRow {
  event_id: string;
  event_type: string;
  schema_version: number;
  order_id: string;
  version: number;
  occurred_at: string;
  command_id: string;
  correlation_id: string;
  payload: string;
  previous_status: string;
  status: string;
  customer_id: string;
  customer_name: string;
  customer_name_given: boolean;
  item_count: number;
  total: string;
  created_at: string;
}

/** '2026-11-27T10:00:00.123Z' → '2026-11-27 10:00:00.123', which a UTC DateTime64 column reads as is. */
export function toClickHouseTime(iso: string): string {
  return iso.replace('T', ' ').replace('Z', '');
}

/** '2026-11-27 10:00:00.123' (UTC) → '2026-11-27T10:00:00.123Z'. */
export function fromClickHouseTime(text: string): string {
  const [date, time = '00:00:00'] = text.split(' ');
  const [clock, fraction = ''] = time.split('.');
  return `${date}T${clock}.${fraction.padEnd(3, '0').slice(0, 3)}Z`;
}

function previousStatus(event: OrderEvent): string {
  switch (event.eventType) {
    case 'OrderCreated':
      return '';
    case 'OrderStatusChanged':
      return event.payload.oldStatus;
    case 'OrderCancelled':
      return event.payload.previousStatus;
    default: {
      const unknown: never = event;
      throw new Error(`unknown event ${(unknown as OrderEvent).eventType}`);
    }
  }
}

/** The log row of an event: its envelope and payload, and the order as the event leaves it. */
export function toEventRow({ event, order }: RecordedEvent): EventRow {
  return {
    event_id: event.eventId,
    event_type: event.eventType,
    schema_version: event.schemaVersion,
    order_id: event.orderId,
    version: event.version,
    occurred_at: toClickHouseTime(event.occurredAt),
    command_id: event.commandId,
    correlation_id: event.correlationId,
    payload: JSON.stringify(event.payload),
    previous_status: previousStatus(event),
    status: order.status,
    customer_id: order.customerId,
    customer_name: order.customerName,
    customer_name_given: order.customerNameGiven,
    item_count: order.itemCount,
    total: toDecimalString(order.totalCents),
    created_at: toClickHouseTime(order.createdAt),
  };
}

/** Writes rows to the event log in one insert. */
export async function insertEventRows(ch: ClickHouse, rows: EventRow[]): Promise<void> {
  if (rows.length === 0) return;
  await ch.client.insert({ table: `${ch.database}.order_events`, values: rows, format: 'JSONEachRow' });
}

interface Pending {
  rows: EventRow[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface EventLogWriterOptions {
  /** The most rows one insert carries; more wait for the next. */
  maxBatchRows?: number;
  /** Called after each insert, for metrics and tests. */
  onBatch?: (rows: number, millis: number, error?: unknown) => void;
}

/** Group commit for the event log, shared by every activity of a worker process. */
export class EventLogWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  private readonly maxBatchRows: number;

  constructor(
    private readonly write: (rows: EventRow[]) => Promise<void>,
    private readonly options: EventLogWriterOptions = {},
  ) {
    this.maxBatchRows = options.maxBatchRows ?? 10_000;
  }

  static forClickHouse(ch: ClickHouse, options?: EventLogWriterOptions): EventLogWriter {
    return new EventLogWriter((rows) => insertEventRows(ch, rows), options);
  }

  /** Resolves once the events are in the log; rejects if the insert carrying them failed. */
  append(events: RecordedEvent[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the event log writer is closed'));
    if (events.length === 0) return Promise.resolve();
    const rows = events.map(toEventRow);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      this.flushing ??= this.drain();
    });
  }

  /** Waits for everything queued so far to be written, then refuses new events. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        const rows = batch.flatMap((pending) => pending.rows);
        const started = Date.now();
        try {
          await this.write(rows);
          this.options.onBatch?.(rows.length, Date.now() - started);
          for (const pending of batch) pending.resolve();
        } catch (error) {
          this.options.onBatch?.(rows.length, Date.now() - started, error);
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private takeBatch(): Pending[] {
    let rows = 0;
    let count = 0;
    while (count < this.queue.length && (count === 0 || rows + this.queue[count].rows.length <= this.maxBatchRows)) {
      rows += this.queue[count].rows.length;
      count += 1;
    }
    return this.queue.splice(0, count);
  }
}
