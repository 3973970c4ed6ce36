/**
 * An order workflow worker on a Temporal dev server of its own (through @temporalio/testing), its
 * events going to an event log kept in memory: for the tests that drive order workflows straight
 * through @temporalio/client, and for recording the histories the replay test reads. No jest here,
 * so that the recording script can use it too.
 */
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { EventLogWriter, EventRow } from '../../src/clickhouse/eventLog';
import type { RefusedEvents } from '../../src/clickhouse/refusedEvents';
import { silentLogger } from '../../src/logger';
import type { AnswerLog } from '../../src/temporal/orderGateway';
import { ORDER_SEARCH_ATTRIBUTES } from '../../src/temporal/searchAttributes';

/** An event log in memory, written through the real writer, as the service writes ClickHouse. */
export interface MemoryEventLog {
  writer: EventLogWriter;
  /** Every row written, in the order written. */
  rows: EventRow[];
  /** Orders whose rows the log refuses, as a CHECK constraint of ClickHouse would. */
  refusing: Set<string>;
  /** What the delivery activity recorded of a refusal: event id → reason, until redelivered. */
  refusals: Map<string, string>;
}

export function memoryEventLog(): MemoryEventLog {
  const rows: EventRow[] = [];
  const refusing = new Set<string>();
  const writer = new EventLogWriter(
    async (offered) => {
      const refused = offered.find((row) => refusing.has(row.order_id));
      if (refused) throw Object.assign(new Error(`Constraint refuses ${refused.order_id}`), { type: 'VIOLATED_CONSTRAINT' });
      rows.push(...offered);
    },
    async (offered) => new Set(rows.filter((row) => offered.some((each) => each.event_id === row.event_id)).map((row) => row.event_id)),
  );
  return { writer, rows, refusing, refusals: new Map() };
}

/** The API's append into a writer, as the service wires it: it says whether the events went in, and never throws. */
export function appendingTo(writer: EventLogWriter): AnswerLog {
  return {
    announce: () => writer.announce(),
    append: (events) =>
      writer.append(events).then(
        () => true,
        () => false,
      ),
  };
}

export interface OrderWorkerOptions {
  /** The `temporal` binary that runs the dev server. */
  temporalCli: string;
  workflowBundle: WorkflowBundleWithSourceMap;
  taskQueue: string;
  eventLog: MemoryEventLog;
  /** A history this long makes the server suggest continue-as-new (the server's default otherwise). */
  suggestContinueAsNewAfter?: number;
}

export interface RunningOrderWorker {
  client: Client;
  /** Stops the worker, then the dev server. */
  stop(): Promise<void>;
}

export async function startOrderWorker(options: OrderWorkerOptions): Promise<RunningOrderWorker> {
  const { eventLog } = options;
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: options.temporalCli },
      searchAttributes: [...ORDER_SEARCH_ATTRIBUTES],
      extraArgs:
        options.suggestContinueAsNewAfter === undefined
          ? []
          : ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${options.suggestContinueAsNewAfter}`],
    },
  });
  const refusedEvents: RefusedEvents = {
    record: async ({ event }, reason) => void eventLog.refusals.set(event.eventId, reason),
    redelivered: async (eventId) => void eventLog.refusals.delete(eventId),
  };
  let worker: Worker;
  try {
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: options.taskQueue,
      workflowBundle: options.workflowBundle,
      activities: createActivities({ eventLog: eventLog.writer, refusedEvents, log: silentLogger() }),
    });
  } catch (error) {
    await env.teardown();
    throw error;
  }
  const running = worker.run();
  return {
    client: env.client,
    stop: async () => {
      worker.shutdown();
      await running;
      await eventLog.writer.close();
      await env.teardown();
    },
  };
}
