/**
 * Event ingestion, three ways over the same rows, each into a scratch database with the real
 * schema (materialized views included): through the activity and the worker's shared batcher, as
 * live orders are written; one bulk insert of every row (the ceiling); one insert per row (the
 * floor, on a sample, since it is slow).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { ClickHouse } from '../../src/clickhouse/client';
import { EventLogWriter, insertEventRows, toEventRow } from '../../src/clickhouse/eventLog';
import { refusedEventsIn } from '../../src/clickhouse/refusedEvents';
import { applySchema } from '../../src/clickhouse/schema';
import type { Logger } from '../../src/logger';
import { inTurns } from '../inTurns';
import { distribution } from '../stats';
import { decide, evolve, OrderCommand, OrderState, RecordedEvent, recorded } from '../../src/domain/order';

export interface IngestOptions {
  orders: number;
  /** Activities running at once: the worker's activity slots, full as after a backlog. */
  concurrency: number;
  singleRowSample: number;
  /** Rounds of the activity path and of the bulk insert, taken in turns; the medians are reported. */
  rounds: number;
  /** Where the activities' log lines go, as the worker's do: the service's logger, at its level. */
  log: Logger;
}

export interface IngestFigures {
  events: number;
  rounds: number;
  /** Medians over the rounds; each round's figure beside. */
  activityEventsPerSecond: number;
  activityRounds: number[];
  activityBatches: number;
  bulkEventsPerSecond: number;
  bulkRounds: number[];
  singleRowEventsPerSecond: number;
  singleRowSample: number;
  /** Deliveries run at once. */
  concurrency: number;
}

/** Each order's four events (create, confirm, ship, deliver), as one workflow records them. */
function orderHistories(prefix: string, orders: number): RecordedEvent[][] {
  const histories: RecordedEvent[][] = [];
  const now = new Date('2026-01-15T12:00:00Z');
  for (let i = 0; i < orders; i += 1) {
    const orderId = `${prefix}-${i}`;
    const meta = (step: string) => ({ commandId: `${orderId}-${step}`, correlationId: 'bench' });
    const commands: OrderCommand[] = [
      {
        type: 'CreateOrder',
        ...meta('create'),
        orderId,
        customerId: `bc-${i % 1000}`,
        customerName: 'Bench',
        customerNameGiven: true,
        items: [{ productId: 'p', quantity: 2, unitPriceCents: 1999 }],
      },
      ...(['CONFIRMED', 'SHIPPED', 'DELIVERED'] as const).map((status) => ({ type: 'ChangeOrderStatus' as const, ...meta(status), orderId, status })),
    ];
    let state: OrderState | undefined;
    const history: RecordedEvent[] = [];
    for (const command of commands) {
      for (const event of decide(state, command, now)) {
        state = evolve(state, event);
        history.push(recorded(event, state));
      }
    }
    histories.push(history);
  }
  return histories;
}

/**
 * Runs `work` with scratch databases it makes as it needs them (the real schema, one per round),
 * and drops them all at the end. Dropping one between rounds deletes thousands of files, and on
 * this machine's ext4 (no journal) creating files just after many were deleted costs more: the
 * round after a drop paid for it, and the path, which writes twenty times the parts of the bulk
 * insert, paid most.
 */
async function withScratchDatabases<T>(ch: ClickHouse, work: (fresh: (name: string) => Promise<ClickHouse>) => Promise<T>): Promise<T> {
  const made: string[] = [];
  const drop = (database: string) => ch.client.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
  try {
    return await work(async (name) => {
      const scratch: ClickHouse = { ...ch, database: `${ch.database}_bench_${name}` };
      await drop(scratch.database);
      made.push(scratch.database);
      await applySchema(scratch);
      return scratch;
    });
  } finally {
    for (const database of made) await drop(database);
  }
}

const median = (values: number[]) => distribution(values).p50;

export async function benchmarkIngestion(ch: ClickHouse, options: IngestOptions): Promise<IngestFigures> {
  const histories = orderHistories(`ing-${Date.now().toString(36)}`, options.orders);
  const events = histories.reduce((sum, history) => sum + history.length, 0);
  const rows = histories.flat().map(toEventRow);

  return withScratchDatabases(ch, async (fresh) => {
    const throughActivity = async (round: number) => {
      const scratch = await fresh(`activity_${round}`);
      let batches = 0;
      const eventLog = EventLogWriter.forClickHouse(scratch, { onBatch: () => (batches += 1) });
      const { deliverOrderEvents } = createActivities({ eventLog, refusedEvents: refusedEventsIn(scratch), log: options.log });
      const environment = new MockActivityEnvironment();
      let next = 0;
      const started = performance.now();
      // Each lane is one workflow at a time, delivering what its outbox holds (here an order's whole
      // history, as after a quick create → deliver) in one activity.
      await Promise.all(
        Array.from({ length: options.concurrency }, async () => {
          for (let index = next++; index < histories.length; index = next++) await environment.run(deliverOrderEvents, histories[index], null);
        }),
      );
      const millis = performance.now() - started;
      await eventLog.close();
      return { eventsPerSecond: (events / millis) * 1000, batches };
    };
    const inBulk = async (round: number) => {
      const scratch = await fresh(`bulk_${round}`);
      const started = performance.now();
      await insertEventRows(scratch, rows);
      return (events / (performance.now() - started)) * 1000;
    };

    // The path and its ceiling take turns; each figure is the median of its rounds.
    const [activity, bulk] = await inTurns(options.rounds, throughActivity, inBulk);

    const sample = rows.slice(0, options.singleRowSample);
    const scratch = await fresh('single');
    const started = performance.now();
    for (const row of sample) await insertEventRows(scratch, [row]);
    const singleMillis = performance.now() - started;

    return {
      events,
      rounds: options.rounds,
      activityEventsPerSecond: median(activity.map((round) => round.eventsPerSecond)),
      activityRounds: activity.map((round) => round.eventsPerSecond),
      activityBatches: median(activity.map((round) => round.batches)),
      bulkEventsPerSecond: median(bulk),
      bulkRounds: bulk,
      singleRowEventsPerSecond: (sample.length / singleMillis) * 1000,
      singleRowSample: sample.length,
      concurrency: options.concurrency,
    };
  });
}
