/**
 * What tests of the order workflow alone run on, without the service around it: a Temporal dev
 * server, workers of the order workflow, and an event log kept in memory. No jest here, so that
 * the history recorder (recordHistories.ts) uses it too.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { EventLogWriter, EventRow } from '../../src/clickhouse/eventLog';
import type { RefusedEvents } from '../../src/clickhouse/refusedEvents';
import { silentLogger } from '../../src/logger';
import { ORDER_SEARCH_ATTRIBUTES } from '../../src/temporal/searchAttributes';

/**
 * Starts the `temporal` binary at `cliPath` with the order's search attributes. Given
 * `suggestContinueAsNewAfter`, the server suggests continue-as-new once a history holds that many
 * events, so a test reaches it with a few dozen commands.
 */
export function orderWorkflowEnvironment(cliPath: string, suggestContinueAsNewAfter?: number): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cliPath },
      searchAttributes: [...ORDER_SEARCH_ATTRIBUTES],
      extraArgs:
        suggestContinueAsNewAfter === undefined ? [] : ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${suggestContinueAsNewAfter}`],
    },
  });
}

/** An event log in memory, written through the real writer, as the service writes ClickHouse. */
export interface MemoryEventLog {
  writer: EventLogWriter;
  /** Every row written, in the order written. */
  rows: EventRow[];
  /** Orders whose rows the log refuses, as a CHECK constraint of ClickHouse would. */
  refusing: Set<string>;
  /** Orders whose next write fails, as an insert fails while ClickHouse is away (not a refusal). */
  failingOnce: Set<string>;
  /** What the delivery activity recorded of each refusal: event id → reason, until redelivered. */
  refusals: Map<string, string>;
}

export function memoryEventLog(): MemoryEventLog {
  const rows: EventRow[] = [];
  const refusing = new Set<string>();
  const failingOnce = new Set<string>();
  const writer = new EventLogWriter(
    async (offered) => {
      const refused = offered.find((row) => refusing.has(row.order_id));
      if (refused) throw Object.assign(new Error(`Constraint refuses ${refused.order_id}`), { type: 'VIOLATED_CONSTRAINT' });
      const failing = offered.find((row) => failingOnce.delete(row.order_id));
      if (failing) throw new Error(`ClickHouse is away (${failing.order_id})`);
      rows.push(...offered);
    },
    async (offered) => new Set(rows.filter((row) => offered.some((each) => each.event_id === row.event_id)).map((row) => row.event_id)),
  );
  return { writer, rows, refusing, failingOnce, refusals: new Map() };
}

export interface OrderWorkerOptions {
  taskQueue: string;
  workflowBundle: WorkflowBundleWithSourceMap;
  /** Where the workflow's deliveries go, and its refusals are recorded. */
  eventLog: MemoryEventLog;
}

/** Runs a worker of the order workflow on `env`; resolves with its stop, which may be called more than once. */
export async function startOrderWorker(
  env: TestWorkflowEnvironment,
  { taskQueue, workflowBundle, eventLog }: OrderWorkerOptions,
): Promise<() => Promise<void>> {
  const refusedEvents: RefusedEvents = {
    record: async ({ event }, reason) => void eventLog.refusals.set(event.eventId, reason),
    redelivered: async (eventId) => void eventLog.refusals.delete(eventId),
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities: createActivities({ eventLog: eventLog.writer, refusedEvents, log: silentLogger() }),
  });
  const running = worker.run();
  return async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
}
