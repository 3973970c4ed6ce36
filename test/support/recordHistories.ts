/**
 * Records the histories test/int/workflowReplay.int.spec.ts replays: orders run by the workflow
 * code of this checkout on a dev server of its own, each through one of the ways an order goes,
 * saved as JSON into test/fixtures/histories/.
 *
 * Record them at a release (docs/decisions/0031-versioning-the-order-workflow.md): between two
 * releases the recorded histories are what running orders look like, and a change that cannot
 * replay them needs versioning, not a new recording.
 *
 * Usage: npx tsx test/support/recordHistories.ts
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
import { appendingTo, memoryEventLog, startOrderWorker } from './orderWorker';

const TASK_QUEUE = 'orders';
const FIXTURES = path.join(projectRoot(), 'test', 'fixtures', 'histories');
const REJECTED_SIGNALS_BEFORE_CONTINUE_AS_NEW = 40;
/** Longer than the workflow's delivery delay: an order left alone this long has settled. */
const SETTLE_MS = 4000;

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

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const binary = locateTemporalBinary({ cliPath: process.env.TEMPORAL_CLI_PATH, pathVariable: process.env.PATH, toolsDir: toolsDir(), say: console.log });
  if (binary.kind !== 'path') throw new Error('no Temporal CLI found (run npm test once to install it into .tools/)');
  // Events go to an event log in memory, which refuses those of the orders in `refusing`.
  const eventLog = memoryEventLog();
  const orders = await startOrderWorker({
    temporalCli: binary.path,
    workflowBundle: await bundleWorkflows(),
    taskQueue: TASK_QUEUE,
    eventLog,
    suggestContinueAsNewAfter: REJECTED_SIGNALS_BEFORE_CONTINUE_AS_NEW,
  });
  const { client } = orders;
  const { refusing } = eventLog;
  const gateway = new OrderGateway(client, { taskQueue: TASK_QUEUE, answerLog: appendingTo(eventLog.writer) });
  const finished = (orderId: string) => client.workflow.getHandle(orderWorkflowId(orderId)).result();
  /** The run recorded of orders that continued as new: their first. */
  const runs = new Map<string, string>();

  const scenarios: Record<string, (orderId: string) => Promise<void>> = {
    // Commands in quick succession, each carrying the receipt for the one before; the last receipt alone.
    'receipted-lifecycle': async (orderId) => {
      await gateway.create(create(orderId));
      for (const to of ['CONFIRMED', 'SHIPPED', 'DELIVERED'] as const) await gateway.changeStatus(status(orderId, to));
      await finished(orderId);
    },
    // A create left alone past the delivery delay (the workflow delivers it), then a confirm and a cancel.
    'settled-then-cancelled': async (orderId) => {
      await gateway.create(create(orderId));
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
      await gateway.create(create(orderId));
      await gateway.changeStatus(status(orderId, 'CONFIRMED'));
      const handle = client.workflow.getHandle(orderWorkflowId(orderId));
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
  };

  try {
    fs.mkdirSync(FIXTURES, { recursive: true });
    for (const [name, scenario] of Object.entries(scenarios)) {
      const orderId = `recorded-${name}`;
      await scenario(orderId);
      const history = await client.workflow.getHandle(orderWorkflowId(orderId), runs.get(orderId)).fetchHistory();
      fs.writeFileSync(path.join(FIXTURES, `${name}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 2)}\n`);
      console.log(`recorded ${name}: ${history.events?.length} events`);
    }
  } finally {
    await orders.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
