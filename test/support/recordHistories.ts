/**
 * Records the histories test/int/workflowReplay.int.spec.ts replays: orders run by the workflow
 * code of this checkout on a dev server of its own, each through one of the ways an order goes,
 * saved as JSON into test/fixtures/histories/.
 *
 * Record them at a release (docs/decisions/0031-versioning-the-order-workflow.md): between two
 * releases the recorded histories are what running orders look like, and a change that cannot
 * replay them needs versioning, not a new recording.
 *
 * Usage: npx tsx test/support/recordHistories.ts [scenario…] (all of them when none is named)
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { ChangeOrderStatus, CreateOrder, OrderStatus } from '../../src/domain/order';
import { projectRoot, toolsDir } from '../../src/paths';
import { OrderGateway } from '../../src/temporal/orderGateway';
import { locateTemporalBinary } from '../../src/temporal/temporalBinary';
import { bundleWorkflows } from '../../src/temporal/worker';
import { changeOrderStatusSignal, orderWorkflowId } from '../../workflows/messages';
import { appendingTo } from './answerLog';
import { memoryEventLog, orderWorkflowEnvironment, startOrderWorker } from './workflowEnvironment';

const TASK_QUEUE = 'orders';
const FIXTURES = path.join(projectRoot(), 'test', 'fixtures', 'histories');
const REJECTED_SIGNALS_BEFORE_CONTINUE_AS_NEW = 40;
/** Longer than the workflow's delivery delay: an order left alone this long has settled. */
const SETTLE_MS = 4000;
/** The payment window of the orders that record one. */
const PAYMENT_WINDOW_MS = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const create = (orderId: string): CreateOrder => ({
  type: 'CreateOrder',
  commandId: `${orderId}-create`,
  correlationId: 'recorded',
  orderId,
  customerId: 'customer-1',
  customerName: 'Ada',
  customerNameGiven: true,
  items: [
    { productId: 'prod-1', productName: 'Widget', quantity: 2, unitPriceCents: 2999 },
    { productId: 'prod-2', quantity: 1, unitPriceCents: 4999 },
  ],
});

const status = (orderId: string, to: OrderStatus): ChangeOrderStatus => ({
  type: 'ChangeOrderStatus',
  commandId: randomUUID(),
  correlationId: 'recorded',
  orderId,
  status: to,
});

/** One recording per way an order goes, each the name of its fixture. */
const SCENARIOS = [
  'receipted-lifecycle',
  'settled-then-cancelled',
  'signalled',
  'refused-then-redelivered',
  'continued-as-new',
  'payment-window-kept',
  'payment-window-expired',
] as const;
type Scenario = (typeof SCENARIOS)[number];

/** The scenarios named on the command line, or all of them. */
function chosenScenarios(named: string[]): Scenario[] {
  const unknown = named.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`no such scenario: ${unknown.join(', ')} (there are ${SCENARIOS.join(', ')})`);
  return named.length === 0 ? [...SCENARIOS] : (named as Scenario[]);
}

async function main(): Promise<void> {
  const chosen = chosenScenarios(process.argv.slice(2));
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const binary = locateTemporalBinary({ cliPath: process.env.TEMPORAL_CLI_PATH, pathVariable: process.env.PATH, toolsDir: toolsDir(), say: console.log });
  if (binary.kind !== 'path') throw new Error('no Temporal CLI found (run npm test once to install it into .tools/)');
  const env = await orderWorkflowEnvironment(binary.path, REJECTED_SIGNALS_BEFORE_CONTINUE_AS_NEW);
  // Events go to an event log in memory, which refuses those of the orders in `refusing`.
  const eventLog = memoryEventLog();
  const { refusing } = eventLog;
  const stopWorker = await startOrderWorker(env, { taskQueue: TASK_QUEUE, workflowBundle: await bundleWorkflows(), eventLog });
  const gatewayWith = (paymentWindowMs?: number) =>
    new OrderGateway(env.client, { taskQueue: TASK_QUEUE, paymentWindowMs, answerLog: appendingTo(eventLog.writer) });
  const gateway = gatewayWith();
  // As an API process killed before it appended: no receipt comes, so the workflow delivers.
  const unappended = new OrderGateway(env.client, { taskQueue: TASK_QUEUE });
  const windowed = gatewayWith(PAYMENT_WINDOW_MS);
  const finished = (orderId: string) => env.client.workflow.getHandle(orderWorkflowId(orderId)).result();
  /** The run recorded of orders that continued as new: their first. */
  const runs = new Map<string, string>();

  const scenarios: Record<Scenario, (orderId: string) => Promise<void>> = {
    // Commands in quick succession, each carrying the receipt for the one before; the last receipt alone.
    'receipted-lifecycle': async (orderId) => {
      await gateway.create(create(orderId));
      for (const to of ['CONFIRMED', 'SHIPPED', 'DELIVERED'] as const) await gateway.changeStatus(status(orderId, to));
      await finished(orderId);
    },
    // A create no receipt covers, left alone past the delivery delay (the workflow delivers it), then
    // a confirm and a cancel.
    'settled-then-cancelled': async (orderId) => {
      await unappended.create(create(orderId));
      await sleep(SETTLE_MS);
      await gateway.changeStatus(status(orderId, 'CONFIRMED'));
      await gateway.cancel({ type: 'CancelOrder', commandId: randomUUID(), correlationId: 'recorded', orderId, reason: 'changed my mind' });
      await finished(orderId);
    },
    // Every command a signal: no caller appends, the workflow delivers at once; one signal refused.
    signalled: async (orderId) => {
      await gateway.createAsync(create(orderId));
      await gateway.changeStatusAsync(status(orderId, 'DELIVERED'));
      await gateway.changeStatusAsync(status(orderId, 'CONFIRMED'));
      await gateway.cancelAsync({ type: 'CancelOrder', commandId: randomUUID(), correlationId: 'recorded', orderId, reason: 'by signal' });
      await finished(orderId);
    },
    // The log refuses the order's events: they are held until a redelivery, then delivered in order.
    'refused-then-redelivered': async (orderId) => {
      refusing.add(orderId);
      await gateway.create(create(orderId));
      await gateway.changeStatus(status(orderId, 'CONFIRMED'));
      await sleep(SETTLE_MS);
      await gateway.cancel({ type: 'CancelOrder', commandId: randomUUID(), correlationId: 'recorded', orderId, reason: 'held' });
      refusing.delete(orderId);
      await gateway.redeliver(orderId);
      await finished(orderId);
    },
    // Rejected signals grow the history until the server suggests continue-as-new (the first run is recorded).
    'continued-as-new': async (orderId) => {
      await unappended.create(create(orderId));
      await unappended.changeStatus(status(orderId, 'CONFIRMED'));
      const handle = env.client.workflow.getHandle(orderWorkflowId(orderId));
      const { runId } = await handle.describe();
      for (let i = 0; i < REJECTED_SIGNALS_BEFORE_CONTINUE_AS_NEW; i += 1) await handle.signal(changeOrderStatusSignal, status(orderId, 'DELIVERED'));
      for (let waited = 0; (await handle.describe()).runId === runId; waited += 100) {
        if (waited > 30_000) throw new Error('the order did not continue as new');
        await sleep(100);
      }
      await gateway.cancel({ type: 'CancelOrder', commandId: randomUUID(), correlationId: 'recorded', orderId, reason: 'done' });
      await finished(orderId);
      runs.set(orderId, runId);
    },
    // A payment window: one order confirmed within it (its timer cancelled), one left to expire.
    'payment-window-kept': async (orderId) => {
      await windowed.create(create(orderId));
      await windowed.changeStatus(status(orderId, 'CONFIRMED'));
      await windowed.cancel({ type: 'CancelOrder', commandId: randomUUID(), correlationId: 'recorded', orderId, reason: 'paid, then changed my mind' });
      await finished(orderId);
    },
    'payment-window-expired': async (orderId) => {
      await windowed.create(create(orderId));
      await finished(orderId);
    },
  };
  try {
    fs.mkdirSync(FIXTURES, { recursive: true });
    for (const name of chosen) {
      const orderId = `recorded-${name}`;
      await scenarios[name](orderId);
      const history = await env.client.workflow.getHandle(orderWorkflowId(orderId), runs.get(orderId)).fetchHistory();
      fs.writeFileSync(path.join(FIXTURES, `${name}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 2)}\n`);
      console.log(`recorded ${name}: ${history.events?.length} events`);
    }
  } finally {
    await stopWorker();
    await eventLog.writer.close();
    await env.teardown();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
