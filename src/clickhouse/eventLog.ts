/**
 * Appending to `order_events`. Events from every caller in a process are gathered into one insert
 * (chDB ignores async_insert, and ClickHouse prefers few large inserts to many small ones): while
 * one insert runs, the next batch fills, and each caller is answered only once the insert holding
 * its events has been acknowledged.
 */
import type { ClickHouse } from './client';
import type { OrderEvent, RecordedEvent } from '../domain/order';
import { toDecimalString } from '../domain/money';
import { EventRefusedError, isRefusal, refusalReason } from './refusal';
import { WritesInFlight } from './writesInFlight';

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

/** What a log line about some events of one order names, so that one grep follows a command. */
export function eventLogFields(events: RecordedEvent[]) {
  return {
    orderId: events[0]?.event.orderId,
    versions: events.map(({ event }) => event.version),
    commandIds: events.map(({ event }) => event.commandId),
    correlationIds: [...new Set(events.map(({ event }) => event.correlationId))],
  };
}

/** Writes rows to the event log in one insert. */
export async function insertEventRows(ch: ClickHouse, rows: EventRow[]): Promise<void> {
  if (rows.length === 0) return;
  await ch.client.insert({ table: `${ch.database}.order_events`, values: rows, format: 'JSONEachRow' });
}

/**
 * Which of these rows' events are fully in: in the log, and in every read model (each holds the
 * order at this version or a later one). One insert feeds the log and then each read model, but
 * they commit one by one; a crash in between leaves an event in the log that some read model
 * lacks. Such an event is written again: the log's engine merges the copy away and the read
 * models take what they missed.
 *
 * The log is asked first, and the read models only about the orders it holds: events new to the
 * log (a late delivery after an outage, a backlog) cost one point lookup, not five.
 */
export async function eventsFullyIn(ch: ClickHouse, rows: EventRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const logged = await eventsInLog(ch, rows);
  const candidates = rows.filter((row) => logged.has(row.event_id));
  if (candidates.length === 0) return new Set();
  const reached = await readModelsReached(ch, candidates);
  const at = (model: Map<string, number>, row: EventRow) => (model.get(row.order_id) ?? 0) >= row.version;
  return new Set(
    candidates
      .filter((row) => at(reached.by_id, row) && at(reached.by_customer, row) && at(reached.by_created, row) && (reached.lines.get(row.order_id) ?? 0) > 0)
      .map((row) => row.event_id),
  );
}

const distinct = (values: string[]) => [...new Set(values)];

async function eventsInLog(ch: ClickHouse, rows: EventRow[]): Promise<Set<string>> {
  const found = await ch.client.query({
    query: `SELECT event_id FROM ${ch.database}.order_events WHERE order_id IN {orders:Array(String)} AND event_id IN {ids:Array(String)}`,
    query_params: { orders: distinct(rows.map((row) => row.order_id)), ids: rows.map((row) => row.event_id) },
    format: 'JSONEachRow',
  });
  return new Set((await found.json<{ event_id: string }>()).map((row) => row.event_id));
}

/** For each read model, the latest version it holds of each of these rows' orders (lines: a count). */
async function readModelsReached(ch: ClickHouse, rows: EventRow[]) {
  const db = ch.database;
  // Each read model is searched by its own sort key, so that every part of this is a point lookup.
  const found = await ch.client.query({
    query: `SELECT 'by_id' AS source, order_id AS id, max(version) AS n FROM ${db}.orders_by_id
              WHERE order_id IN {orders:Array(String)} GROUP BY order_id
            UNION ALL SELECT 'by_customer', order_id, max(version) FROM ${db}.orders_by_customer
              WHERE customer_id IN {customers:Array(String)} AND order_id IN {orders:Array(String)} GROUP BY order_id
            UNION ALL SELECT 'by_created', order_id, max(version) FROM ${db}.orders_by_created
              WHERE created_at IN {created:Array(DateTime64(3, 'UTC'))} AND order_id IN {orders:Array(String)} GROUP BY order_id
            UNION ALL SELECT 'lines', order_id, toUInt32(count()) FROM ${db}.order_lines
              WHERE created_at IN {created:Array(DateTime64(3, 'UTC'))} AND order_id IN {orders:Array(String)} GROUP BY order_id`,
    query_params: {
      orders: distinct(rows.map((row) => row.order_id)),
      customers: distinct(rows.map((row) => row.customer_id)),
      created: distinct(rows.map((row) => row.created_at)),
    },
    format: 'JSONEachRow',
  });
  const reached = {
    by_id: new Map<string, number>(),
    by_customer: new Map<string, number>(),
    by_created: new Map<string, number>(),
    lines: new Map<string, number>(),
  };
  for (const { source, id, n } of await found.json<{ source: keyof typeof reached; id: string; n: number | string }>()) {
    reached[source].set(id, Number(n));
  }
  return reached;
}

/**
 * The default most rows in one insert, about 80 ms of chDB's time here. A backlog (every activity
 * slot delivering at once: 2,000 deliveries of up to 4 events) then fills two batches, written side
 * by side: when one ends, its callers come back with their next events, which are asked about
 * while the other is written. A batch with room for all 8,000 rows would make each insert wait for
 * its callers' work in between.
 */
const MAX_BATCH_ROWS = 4000;

/** Batches written side by side at most; see `drain`. */
const WRITES_AT_ONCE = 2;

interface Pending {
  rows: EventRow[];
  resolve: (written: number) => void;
  reject: (error: unknown) => void;
}

/**
 * The rows of these callers the log does not hold, each once (two callers can offer one event),
 * and how many of them each caller brought.
 */
function missingRows(callers: Pending[], present: Set<string>): { rows: EventRow[]; counts: number[] } {
  const taken = new Set(present);
  const rows: EventRow[] = [];
  const counts = callers.map((pending) => {
    const missing = pending.rows.filter((row) => !taken.has(row.event_id));
    for (const row of missing) taken.add(row.event_id);
    rows.push(...missing);
    return missing.length;
  });
  return { rows, counts };
}

export interface EventLogWriterOptions {
  /** The most rows one insert carries; more wait for the next. Default `MAX_BATCH_ROWS`. */
  maxBatchRows?: number;
  /**
   * How long an insert may wait, from the start of the one before, for events that were announced
   * (see `announce`). Each insert costs ClickHouse a part in the log and in every read model
   * whatever its size, so under load the events of many commands should share one.
   */
  minIntervalMs?: number;
  /** Called after each insert with the rows it carried, for metrics and tests. */
  onBatch?: (rows: EventRow[], millis: number, error?: unknown) => void;
}

/**
 * Group commit for the event log, shared by everything in a process that appends: the API (the
 * events of the commands it answers) and the worker's activities (the workflows' late deliveries).
 *
 * The same event can be offered twice (by the API and by its workflow, or by a retry). Each batch
 * first asks which of its events are fully in (the log and every read model) and writes only the
 * others. A batch is written beside no other that holds one of its orders, and is checked against
 * every write that ended after its ask began (see drain), so within a process an event is written
 * once. Across processes two offers can still cross; the log's engine then merges the copies, and
 * every read model ignores a second copy.
 */
export class EventLogWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  private readonly maxBatchRows: number;
  private lastStarted = Number.NEGATIVE_INFINITY;
  /** Appends announced and not yet offered (see `announce`). */
  private announced = 0;
  /** Ends the current wait for company early, when an append arrives. */
  private wake: (() => void) | undefined;

  constructor(
    private readonly write: (rows: EventRow[]) => Promise<void>,
    private readonly inLog: (rows: EventRow[]) => Promise<Set<string>>,
    private readonly options: EventLogWriterOptions = {},
  ) {
    this.maxBatchRows = options.maxBatchRows ?? MAX_BATCH_ROWS;
  }

  static forClickHouse(ch: ClickHouse, options?: EventLogWriterOptions): EventLogWriter {
    return new EventLogWriter(
      (rows) => insertEventRows(ch, rows),
      (rows) => eventsFullyIn(ch, rows),
      options,
    );
  }

  /**
   * Resolves once the events are in the log, with how many of them this call wrote (the others
   * were there already); rejects if the batch carrying them failed.
   */
  append(events: RecordedEvent[]): Promise<number> {
    if (this.closed) return Promise.reject(new Error('the event log writer is closed'));
    if (events.length === 0) return Promise.resolve(0);
    const rows = events.map(toEventRow);
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      this.wake?.();
      this.flushing ??= this.drain();
    });
  }

  /**
   * Like append, but waits at most `millis`: 'appended', or 'deferred' when the log could not be
   * written in time (the batch still runs; its events are left to a later offer).
   */
  async appendWithin(events: RecordedEvent[], millis: number): Promise<{ outcome: 'appended'; written: number } | { outcome: 'deferred'; error: unknown }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the event log was not written within ${millis} ms`)), millis);
    });
    try {
      return { outcome: 'appended', written: await Promise.race([this.append(events), late]) };
    } catch (error) {
      return { outcome: 'deferred', error };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Says that an append is on its way (a command sent to its workflow, whose answer will carry
   * events), so that an insert due meanwhile waits for it, within the interval. The returned
   * function says it was offered, or will not come (the command was refused): call it once the
   * append has been made, since `append` queues its events before it returns. While nothing is
   * announced an insert starts at once: a lone command never waits for company.
   */
  announce(): () => void {
    this.announced += 1;
    let arrived = false;
    return () => {
      if (arrived) return;
      arrived = true;
      this.announced -= 1;
      this.wake?.();
    };
  }

  /** Waits for everything queued so far to be written, then refuses new events. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
  }

  /**
   * Batches go through two steps, asking which of their events are in and writing the others. The
   * ask of one batch runs while the batches before are written, and up to `WRITES_AT_ONCE` batches
   * are written side by side: one insert at a time leaves the engine's threads idle part of the
   * time, which a second one fills. A batch is never written beside one that holds an event of the
   * same order, so an order's events still go in one insert after another, and what a batch asked
   * about while others were writing is checked against what they wrote: within a process an event
   * is still written once.
   */
  private async drain(): Promise<void> {
    const writing = new WritesInFlight();
    try {
      for (;;) {
        if (this.queue.length === 0) {
          if (writing.count === 0) break;
          // Until a write ends or more events arrive to be asked about meanwhile.
          await Promise.race([writing.oneEnds(), this.untilArrival()]);
          this.wake?.();
          continue;
        }
        while (this.companyDue()) await this.untilArrivalOrInterval();
        // Offers made in this same turn of the event loop join the batch: callers an insert answers
        // together come back together (a backlog), and the first of them should not go alone.
        await new Promise((resolve) => setImmediate(resolve));
        const started = (this.lastStarted = Date.now());
        const batch = this.takeBatch();
        const offered = batch.flatMap((pending) => pending.rows);
        const orders = new Set(offered.map((row) => row.order_id));
        const writingWhenAsked = writing.current();
        const answer = await this.inLog(offered).then(
          (present) => ({ present }),
          (error: unknown) => ({ error }),
        );
        if ('error' in answer) {
          this.fail(batch, offered, started, answer.error);
          continue;
        }
        while (writing.holdsAnyOf(orders)) await writing.oneEnds();
        // The ask did not see what the writes then in flight wrote. Those that have ended are added;
        // those still going hold none of this batch's orders, so none of its events.
        const present = answer.present;
        for (const id of await writing.writtenByEnded(writingWhenAsked)) present.add(id);
        writing.add(orders, this.writeBatch(batch, present, started));
        // The next batch is taken once it could be written: taken sooner, it would hold only the few
        // callers back so far, and the others would wait a whole insert for the one after.
        while (writing.count >= WRITES_AT_ONCE) await writing.oneEnds();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /**
   * Writes the rows of a batch the log does not hold (`present`: what it holds) and answers its
   * callers; settles with the ids written. Each caller hears how many of its events it wrote.
   */
  private async writeBatch(batch: Pending[], present: Set<string>, started: number): Promise<Set<string>> {
    const { rows, counts } = missingRows(batch, present);
    try {
      if (rows.length > 0) await this.write(rows);
    } catch (error) {
      if (!isRefusal(error)) {
        this.fail(batch, rows, started, error);
        return new Set();
      }
      const known = new Set(present);
      const written = await this.writeApart(batch, known, error, new Map());
      this.options.onBatch?.(written, Date.now() - started);
      return new Set(written.map((row) => row.event_id));
    }
    this.options.onBatch?.(rows, Date.now() - started);
    batch.forEach((pending, index) => pending.resolve(counts[index]));
    return new Set(rows.map((row) => row.event_id));
  }

  /**
   * The log refused an insert of these callers' rows for something in it: halves the callers, and
   * writes each half, until the one whose events it refuses is alone, so that the others' events
   * go in and only that order is held. That caller's events then go one at a time, in order, up to
   * the refused one. Any other caller offering an event of that order is held behind it too, so an
   * order's events still reach the log in order. `known` holds what the log holds, as it grows.
   */
  private async writeApart(callers: Pending[], known: Set<string>, refusal: unknown, held: Map<string, EventRefusedError>): Promise<EventRow[]> {
    if (callers.length === 1) return this.writeInOrder(callers[0], known, refusal, held);
    const half = Math.ceil(callers.length / 2);
    const first = await this.writeGroup(callers.slice(0, half), known, held);
    return [...first, ...(await this.writeGroup(callers.slice(half), known, held))];
  }

  private async writeGroup(callers: Pending[], known: Set<string>, held: Map<string, EventRefusedError>): Promise<EventRow[]> {
    const open = callers.filter((pending) => {
      const holding = pending.rows.map((row) => held.get(row.order_id)).find(Boolean);
      if (holding) pending.reject(holding);
      return !holding;
    });
    const { rows, counts } = missingRows(open, known);
    try {
      if (rows.length > 0) await this.write(rows);
    } catch (error) {
      if (isRefusal(error)) return this.writeApart(open, known, error, held);
      for (const pending of open) pending.reject(error);
      return [];
    }
    for (const row of rows) known.add(row.event_id);
    open.forEach((pending, index) => pending.resolve(counts[index]));
    return rows;
  }

  /** One caller's events, one insert each, up to the one the log refuses. */
  private async writeInOrder(pending: Pending, known: Set<string>, refusal: unknown, held: Map<string, EventRefusedError>): Promise<EventRow[]> {
    const missing = pending.rows.filter((row) => !known.has(row.event_id));
    const written: EventRow[] = [];
    for (const row of missing) {
      try {
        // A lone event was refused already, by the insert that led here.
        if (missing.length === 1) throw refusal;
        await this.write([row]);
        known.add(row.event_id);
        written.push(row);
      } catch (error) {
        if (isRefusal(error)) {
          const refused = new EventRefusedError(row, refusalReason(error));
          held.set(row.order_id, refused);
          pending.reject(refused);
        } else {
          pending.reject(error);
        }
        return written;
      }
    }
    pending.resolve(written.length);
    return written;
  }

  private fail(batch: Pending[], rows: EventRow[], started: number, error: unknown): void {
    this.options.onBatch?.(rows, Date.now() - started, error);
    for (const pending of batch) pending.reject(error);
  }

  /** When the next insert may start at the latest, counted from the start of the last one. */
  private intervalEnd(): number {
    return this.lastStarted + (this.options.minIntervalMs ?? 0);
  }

  /** Whether the next insert should wait: within the interval, more events announced, not full yet. */
  private companyDue(): boolean {
    if (this.closed || Date.now() >= this.intervalEnd() || this.announced === 0) return false;
    return this.queue.reduce((sum, pending) => sum + pending.rows.length, 0) < this.maxBatchRows;
  }

  /** Until the next append arrives or the interval ends. */
  private untilArrivalOrInterval(): Promise<void> {
    return this.untilArrival(this.intervalEnd() - Date.now());
  }

  /** Until the next append arrives (or `this.wake()` is called), or at most `millis`. */
  private untilArrival(millis?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = millis === undefined ? undefined : setTimeout(done, millis);
      this.wake = done;
    });
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
