/**
 * The order workflow on a real Temporal dev server (through @temporalio/testing). Events go to an
 * EventLogWriter that keeps rows in memory, so these tests see exactly what the activity delivers;
 * it refuses the events of orders a test names, as ClickHouse refuses a row it cannot store.
 */
import { randomUUID } from 'node:crypto';
import { Client, WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { EventLogWriter, EventRow } from '../../src/clickhouse/eventLog';
import { DomainError } from '../../src/domain/errors';
import type { CancelOrder, ChangeOrderStatus, CreateOrder, OrderStatus } from '../../src/domain/order';
import { OrderGateway } from '../../src/temporal/orderGateway';
import { orderWorkflow } from '../../workflows/order';
import {
  changeOrderStatusSignal,
  changeOrderStatusUpdate,
  eventsAppendedSignal,
  eventsAppendedUpdate,
  getCommandOutcomeQuery,
  getOrderQuery,
  orderWorkflowId,
  redeliverEventsSignal,
} from '../../workflows/messages';
import { appendingTo } from '../support/answerLog';
import { eventually, temporalCli, workflowBundle } from '../support/stack';
import { memoryEventLog, orderWorkflowEnvironment, startOrderWorker } from '../support/workflowEnvironment';

const TASK_QUEUE = 'orders-workflow-test';
// A small history limit makes the server suggest continue-as-new after a few commands.
const SUGGEST_CONTINUE_AS_NEW_AFTER = 40;

// An event log in memory, written through the real writer by the gateway (the API's append) and by
// the workflow's delivery activity, as in the service; it refuses the events of orders in `refusing`.
const eventLog = memoryEventLog();
const { rows: delivered, refusing, failingOnce, refusals } = eventLog;
let env: TestWorkflowEnvironment;
let stopWorker: () => Promise<void>;
let gateway: OrderGateway;
let client: Client;

beforeAll(async () => {
  env = await orderWorkflowEnvironment(temporalCli(), SUGGEST_CONTINUE_AS_NEW_AFTER);
  stopWorker = await startOrderWorker(env, { taskQueue: TASK_QUEUE, workflowBundle: await workflowBundle(), eventLog });
  client = env.client;
  gateway = new OrderGateway(client, { taskQueue: TASK_QUEUE, answerLog: appendingTo(eventLog.writer) });
});

afterAll(async () => {
  await gateway?.close(2000);
  await stopWorker?.();
  await eventLog.writer.close();
  await env?.teardown();
});

const ids = () => ({ commandId: randomUUID(), correlationId: randomUUID() });

function createCommand(orderId = `o-${randomUUID()}`): CreateOrder {
  return {
    type: 'CreateOrder',
    ...ids(),
    orderId,
    customerId: 'customer-123',
    customerName: 'Ada',
    customerNameGiven: true,
    items: [
      { productId: 'prod-1', quantity: 2, unitPriceCents: 2999 },
      { productId: 'prod-2', quantity: 1, unitPriceCents: 4999 },
    ],
  };
}

const status = (orderId: string, to: OrderStatus, commandId = randomUUID()): ChangeOrderStatus => ({
  type: 'ChangeOrderStatus',
  commandId,
  correlationId: randomUUID(),
  orderId,
  status: to,
});

const cancel = (orderId: string, reason = 'changed mind'): CancelOrder => ({ type: 'CancelOrder', ...ids(), orderId, reason });

async function rejectionOf(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the command to be rejected');
}

function eventsOf(orderId: string): EventRow[] {
  return delivered.filter((row) => row.order_id === orderId);
}

async function historyEventTypes(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).map((event) => temporal.api.enums.v1.EventType[event.eventType ?? 0]);
}

/** The receipts that reached the workflow alone (each an Update of its own), in its history. */
async function receiptsAlone(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter(
    (event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === eventsAppendedUpdate.name,
  ).length;
}

/**
 * The workflow's deliveries in a history: the local ones (a marker each, recorded with the task
 * that ran them; the workflow records no other marker) and the regular ones.
 */
function deliveries(types: string[]): { local: number; regular: number } {
  return {
    local: types.filter((type) => type.includes('MARKER_RECORDED')).length,
    regular: types.filter((type) => type.includes('ACTIVITY_TASK_SCHEDULED')).length,
  };
}

describe('when an order is created by update', () => {
  it('answers with the write model and delivers OrderCreated to the event log', async () => {
    const command = createCommand();
    const order = await gateway.create(command);
    expect(order).toMatchObject({ orderId: command.orderId, status: 'PENDING', total: 109.97, itemCount: 2, version: 1 });
    await eventually(async () => (eventsOf(command.orderId).length === 1 ? true : undefined), 10_000, 'OrderCreated delivery');
    expect(eventsOf(command.orderId)[0]).toMatchObject({ event_id: `${command.orderId}:1`, event_type: 'OrderCreated', total: '109.97' });
  });

  it('refuses a second create with the same orderId while the order is open', async () => {
    const command = createCommand();
    await gateway.create(command);
    expect((await rejectionOf(gateway.create({ ...command, ...ids() }))).code).toBe('ORDER_ALREADY_EXISTS');
  });

  it('answers a repeated create commandId with the first result and records nothing new', async () => {
    const command = createCommand();
    const first = await gateway.create(command);
    await gateway.changeStatus(status(command.orderId, 'CONFIRMED'));
    const again = await gateway.create(command);
    expect(again).toEqual(first);
    await eventually(async () => (eventsOf(command.orderId).length === 2 ? true : undefined));
    expect(eventsOf(command.orderId).map((row) => row.event_type)).toEqual(['OrderCreated', 'OrderStatusChanged']);
  });
});

describe('when its events reach the event log', () => {
  it('has them in the log when a command is answered, and writes each once though the workflow delivers them too', async () => {
    const command = createCommand();
    await gateway.create(command);
    expect(eventsOf(command.orderId).map((row) => row.version)).toEqual([1]);
    await gateway.changeStatus(status(command.orderId, 'CONFIRMED'));
    expect(eventsOf(command.orderId).map((row) => row.version)).toEqual([1, 2]);
    await gateway.cancel(cancel(command.orderId));
    // The workflow finishes only after its own delivery, which found every event there already.
    await client.workflow.getHandle(orderWorkflowId(command.orderId)).result();
    expect(eventsOf(command.orderId).map((row) => row.version)).toEqual([1, 2, 3]);
  });

  it("need no delivery of the workflow's own when the caller appended them: its receipts clear the outbox", async () => {
    const command = createCommand();
    await gateway.create(command);
    await gateway.changeStatus(status(command.orderId, 'CONFIRMED'));
    await gateway.changeStatus(status(command.orderId, 'SHIPPED'));
    await gateway.changeStatus(status(command.orderId, 'DELIVERED'));
    const handle = client.workflow.getHandle(orderWorkflowId(command.orderId));
    // The last receipt comes alone (no command follows a terminal one); then the workflow finishes.
    await handle.result();
    const types = await historyEventTypes(handle);
    expect(deliveries(types)).toEqual({ local: 0, regular: 0 });
    expect(types.filter((type) => type.includes('TIMER_FIRED'))).toEqual([]);
    expect(await receiptsAlone(handle)).toBe(1);
    expect(eventsOf(command.orderId).map((row) => row.version)).toEqual([1, 2, 3, 4]);
  });

  it('need no delivery either when the order then stays quiet: the receipt goes alone before the delay runs out', async () => {
    const command = createCommand();
    await gateway.create(command);
    await gateway.changeStatus(status(command.orderId, 'CONFIRMED'));
    const confirmed = Date.now();
    const handle = client.workflow.getHandle(orderWorkflowId(command.orderId));
    await eventually(async () => ((await receiptsAlone(handle)) > 0 ? true : undefined), 5000, "the confirm's receipt");
    // Until past the workflow's 3 s delivery delay: without the receipt it would have delivered by then.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, confirmed + 4000 - Date.now())));
    const types = await historyEventTypes(handle);
    expect(deliveries(types)).toEqual({ local: 0, regular: 0 });
    expect(types.filter((type) => type.includes('TIMER_FIRED'))).toEqual([]);
    // The create's receipt rode on the confirm; the confirm's went alone.
    expect(await receiptsAlone(handle)).toBe(1);
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });

  it('need no delivery when the caller stops within the hold: it sends the receipt as a signal, which needs no workflow task', async () => {
    const stopping = new OrderGateway(client, { taskQueue: TASK_QUEUE, answerLog: appendingTo(eventLog.writer) });
    const command = createCommand();
    await stopping.create(command);
    await stopping.changeStatus(status(command.orderId, 'CONFIRMED'));
    const confirmed = Date.now();
    await stopping.close(2000);
    const handle = client.workflow.getHandle(orderWorkflowId(command.orderId));
    const signals = async () =>
      (await handle.fetchHistory()).events?.filter((event) => event.workflowExecutionSignaledEventAttributes?.signalName === eventsAppendedSignal.name) ?? [];
    expect(await signals()).toHaveLength(1);
    // Until past the workflow's 3 s delivery delay: without the receipt it would have delivered by then.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, confirmed + 4000 - Date.now())));
    const types = await historyEventTypes(handle);
    expect(deliveries(types)).toEqual({ local: 0, regular: 0 });
    expect(types.filter((type) => type.includes('TIMER_FIRED'))).toEqual([]);
    expect(await receiptsAlone(handle)).toBe(0);
  });

  it('are delivered by the workflow when the caller could append them only in part', async () => {
    // One process appends create and confirm; another answers the cancel but cannot append it.
    const command = createCommand();
    await gateway.create(command);
    await gateway.changeStatus(status(command.orderId, 'CONFIRMED'));
    const failing = new OrderGateway(client, { taskQueue: TASK_QUEUE, answerLog: { announce: () => () => {}, append: async () => false } });
    await failing.cancel(cancel(command.orderId));
    expect(eventsOf(command.orderId).map((row) => row.version)).toEqual([1, 2]);
    await client.workflow.getHandle(orderWorkflowId(command.orderId)).result();
    expect(eventsOf(command.orderId).map((row) => row.event_type)).toEqual(['OrderCreated', 'OrderStatusChanged', 'OrderCancelled']);
  });

  it('are delivered by the workflow, once, when the receipt of a finished order is lost; the caller is told', async () => {
    // A client whose receipts fail, as when the Temporal server is away just after the append.
    const lossy = new Client({
      connection: client.connection,
      interceptors: {
        workflow: [
          {
            async startUpdate(input, next) {
              if (input.updateName === eventsAppendedUpdate.name) throw new Error('the server is away');
              return next(input);
            },
          },
        ],
      },
    });
    const lost: string[] = [];
    const sender = new OrderGateway(lossy, {
      taskQueue: TASK_QUEUE,
      answerLog: appendingTo(eventLog.writer),
      onReceiptLost: (orderId) => lost.push(orderId),
    });
    const command = createCommand();
    await sender.create(command);
    await sender.cancel(cancel(command.orderId));
    const handle = client.workflow.getHandle(orderWorkflowId(command.orderId));
    await handle.result();
    expect(lost).toEqual([command.orderId]);
    const types = await historyEventTypes(handle);
    expect(await receiptsAlone(handle)).toBe(0);
    // Recorded by earlier tasks, its events go in the task the timer wakes: a local activity.
    expect(deliveries(types)).toEqual({ local: 1, regular: 0 });
    expect(eventsOf(command.orderId).map((row) => row.event_type)).toEqual(['OrderCreated', 'OrderCancelled']);
  });

  it('are delivered by the workflow when the caller could not append them (it crashed, or ClickHouse was away)', async () => {
    const withoutAppend = new OrderGateway(client, { taskQueue: TASK_QUEUE });
    const command = createCommand();
    await withoutAppend.create(command);
    await withoutAppend.changeStatus(status(command.orderId, 'CONFIRMED'));
    expect(eventsOf(command.orderId)).toEqual([]);
    await eventually(async () => (eventsOf(command.orderId).length === 2 ? true : undefined), 15_000, 'the delivery');
    expect(eventsOf(command.orderId).map((row) => row.event_type)).toEqual(['OrderCreated', 'OrderStatusChanged']);
    // Recorded by the tasks that answered the commands, the events go with the task the timer wakes:
    // a local activity, whose marker is in the history once that task completes (after the write).
    const handle = client.workflow.getHandle(orderWorkflowId(command.orderId));
    await eventually(async () => (deliveries(await historyEventTypes(handle)).local === 1 ? true : undefined), 5000, 'the delivery recorded');
    expect(deliveries(await historyEventTypes(handle))).toEqual({ local: 1, regular: 0 });
  });

  it('are delivered by the regular activity, with its retries, when the local one fails', async () => {
    const withoutAppend = new OrderGateway(client, { taskQueue: TASK_QUEUE });
    const command = createCommand();
    failingOnce.add(command.orderId);
    await withoutAppend.create(command);
    await eventually(async () => (eventsOf(command.orderId).length === 1 ? true : undefined), 15_000, 'the delivery');
    expect(failingOnce.has(command.orderId)).toBe(false);
    const handle = client.workflow.getHandle(orderWorkflowId(command.orderId));
    await eventually(async () => (deliveries(await historyEventTypes(handle)).regular === 1 ? true : undefined), 5000, 'the delivery recorded');
    expect(deliveries(await historyEventTypes(handle))).toEqual({ local: 1, regular: 1 });
    expect(eventsOf(command.orderId).map((row) => row.event_type)).toEqual(['OrderCreated']);
  });

  it("are delivered by the regular activity when the delivering task decided them (a signal's)", async () => {
    const command = createCommand();
    await gateway.createAsync(command);
    await eventually(async () => (eventsOf(command.orderId).length === 1 ? true : undefined), 15_000, 'the delivery');
    const handle = client.workflow.getHandle(orderWorkflowId(command.orderId));
    await eventually(async () => (deliveries(await historyEventTypes(handle)).regular === 1 ? true : undefined), 5000, 'the delivery recorded');
    expect(deliveries(await historyEventTypes(handle))).toEqual({ local: 0, regular: 1 });
  });

  it('shares one insert among commands answered together, each answered once its events are in', async () => {
    // As the service wires it: the writer waits for the gateway's commands still awaiting answers.
    const inserts: EventRow[][] = [];
    const writer = new EventLogWriter(
      async (rows) => {
        inserts.push(rows);
      },
      async () => new Set<string>(),
      { minIntervalMs: 10_000 },
    );
    const together = new OrderGateway(client, { taskQueue: TASK_QUEUE, answerLog: appendingTo(writer) });
    const commands = Array.from({ length: 6 }, () => createCommand());
    const inLogWhenAnswered = await Promise.all(
      commands.map(async (command) => {
        await together.create(command);
        return inserts.flat().some((row) => row.order_id === command.orderId);
      }),
    );
    expect(inLogWhenAnswered).toEqual(commands.map(() => true));
    expect(
      inserts
        .flat()
        .map((row) => row.order_id)
        .sort(),
    ).toEqual(commands.map((command) => command.orderId).sort());
    // The first insert starts at once; the rest waits for the others in flight, so not one insert
    // per command (which is what starting each insert as soon as possible gives here).
    expect(inserts.length).toBeLessThanOrEqual(3);
    await writer.close();
  });

  it('tells the writer when a command is done with, after its events were offered, rejected ones too', async () => {
    // The writer waits for commands announced; one answered without events must say so, or the
    // insert waits for nothing until its interval ends. One answered with events says so after them.
    const seen: string[] = [];
    const told = new OrderGateway(client, {
      taskQueue: TASK_QUEUE,
      answerLog: {
        announce: () => {
          seen.push('announced');
          return () => seen.push('done with');
        },
        append: async (events) => {
          seen.push(`offered ${events.map(({ event }) => event.eventType).join(',')}`);
          return false;
        },
      },
    });
    const command = createCommand();
    await told.create(command);
    await expect(told.changeStatus(status(command.orderId, 'DELIVERED'))).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(seen).toEqual(['announced', 'offered OrderCreated', 'done with', 'announced', 'done with']);
  });
});

describe('when the event log refuses an event for good', () => {
  it('holds it and the later ones, says why, and delivers them in order once asked again', async () => {
    const command = createCommand();
    refusing.add(command.orderId);
    try {
      // Both answered: the API's appends are refused, and the commands stand.
      await gateway.create(command);
      await gateway.changeStatus(status(command.orderId, 'CONFIRMED'));
      const reason = await eventually(async () => refusals.get(`${command.orderId}:1`), 15_000, 'the refusal to be recorded');
      expect(reason).toMatch(/^VIOLATED_CONSTRAINT: Constraint refuses/);
      const handle = client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(command.orderId));
      const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(metadata.currentDetails).toContain(`Event ${command.orderId}:1 refused by the event log:** VIOLATED_CONSTRAINT`);

      // A terminal command is taken meanwhile; its event waits behind the refused ones.
      await gateway.cancel(cancel(command.orderId));
      await new Promise((resolve) => setTimeout(resolve, 4000));
      expect(eventsOf(command.orderId)).toEqual([]);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      // Refused once, not retried in silence: one delivery, answered.
      const held = await historyEventTypes(handle);
      expect(deliveries(held)).toEqual({ local: 1, regular: 0 });
      expect(held.filter((type) => type.includes('ACTIVITY_TASK_FAILED'))).toEqual([]);

      refusing.delete(command.orderId);
      await gateway.redeliver(command.orderId);
      await handle.result();
      expect(eventsOf(command.orderId).map((row) => row.event_type)).toEqual(['OrderCreated', 'OrderStatusChanged', 'OrderCancelled']);
      expect(refusals.has(`${command.orderId}:1`)).toBe(false);
    } finally {
      refusing.delete(command.orderId);
    }
  });

  it('keeps holding it when a command arrives as a signal: only a redelivery sends it again', async () => {
    const command = createCommand();
    refusing.add(command.orderId);
    try {
      await gateway.create(command);
      const handle = client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(command.orderId));
      await eventually(
        async () =>
          (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails?.includes('refused by the event log')
            ? true
            : undefined,
        15_000,
        'the workflow to hold the refused event',
      );

      // A signal's events are delivered at once when nothing is held; here they wait behind the refused one.
      await handle.signal(changeOrderStatusSignal, status(command.orderId, 'CONFIRMED'));
      // Answered after the signal was taken: any delivery the signal caused is in the history by now.
      await gateway.cancel(cancel(command.orderId));
      // The one delivery that met the refusal (a local one: the create's task had recorded the events), and no other.
      expect(deliveries(await historyEventTypes(handle))).toEqual({ local: 1, regular: 0 });

      refusing.delete(command.orderId);
      await gateway.redeliver(command.orderId);
      await handle.result();
      expect(eventsOf(command.orderId).map((row) => row.event_type)).toEqual(['OrderCreated', 'OrderStatusChanged', 'OrderCancelled']);
    } finally {
      refusing.delete(command.orderId);
    }
  });

  it('ignores a redelivery asked of an order that holds nothing', async () => {
    const command = createCommand();
    await gateway.create(command);
    const handle = client.workflow.getHandle(orderWorkflowId(command.orderId));
    await handle.signal(redeliverEventsSignal);
    await gateway.cancel(cancel(command.orderId));
    await handle.result();
    expect(deliveries(await historyEventTypes(handle))).toEqual({ local: 0, regular: 0 });
  });
});

describe('when commands arrive as updates', () => {
  it('rejects an invalid transition in the validator, before it enters history', async () => {
    const command = createCommand();
    await gateway.create(command);
    const error = await rejectionOf(gateway.changeStatus(status(command.orderId, 'DELIVERED')));
    expect(error.code).toBe('INVALID_TRANSITION');
    expect(error.message).toContain('PENDING to DELIVERED');
    const handle = client.workflow.getHandle(orderWorkflowId(command.orderId));
    const types = await historyEventTypes(handle);
    // Only the create's update was accepted; the rejected one left no trace in history.
    expect(types.filter((type) => type.includes('UPDATE_ACCEPTED'))).toHaveLength(1);
    expect(await handle.query(getOrderQuery)).toMatchObject({ status: 'PENDING', version: 1 });
  });

  it('surfaces the reason to a raw Temporal caller as an ApplicationFailure of that code', async () => {
    const command = createCommand();
    await gateway.create(command);
    const handle = client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(command.orderId));
    const failure = await handle.executeUpdate(changeOrderStatusUpdate, { args: [status(command.orderId, 'SHIPPED')] }).catch((e) => e);
    expect(failure).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(failure.cause).toMatchObject({ type: 'INVALID_TRANSITION' });
  });

  it('answers a repeated commandId with the first result and emits nothing', async () => {
    const command = createCommand();
    await gateway.create(command);
    const confirm = status(command.orderId, 'CONFIRMED');
    const first = await gateway.changeStatus(confirm);
    await gateway.changeStatus(status(command.orderId, 'SHIPPED'));
    const repeated = await gateway.changeStatus({ ...confirm, correlationId: 'another' });
    expect(repeated).toMatchObject({ status: 'CONFIRMED', version: 2, updatedAt: first.updatedAt });
    await eventually(async () => (eventsOf(command.orderId).length === 3 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(eventsOf(command.orderId).map((row) => row.version)).toEqual([1, 2, 3]);
  });
});

describe('when commands arrive as signals', () => {
  it('applies a valid signal', async () => {
    const command = createCommand();
    await gateway.create(command);
    await gateway.changeStatusAsync(status(command.orderId, 'CONFIRMED'));
    const handle = client.workflow.getHandle(orderWorkflowId(command.orderId));
    await eventually(async () => ((await handle.query(getOrderQuery))?.status === 'CONFIRMED' ? true : undefined));
  });

  /** A PENDING order sent a signal that skips ahead to DELIVERED. */
  async function signalledOutOfTurn() {
    const command = createCommand();
    await gateway.create(command);
    const bad = status(command.orderId, 'DELIVERED');
    const handle = client.workflow.getHandle(orderWorkflowId(command.orderId));
    await handle.signal(changeOrderStatusSignal, bad);
    return { command, bad, handle };
  }

  it('records an invalid signal as rejected and never applies it', async () => {
    const { command, bad, handle } = await signalledOutOfTurn();
    const outcome = await eventually(async () => (await handle.query(getCommandOutcomeQuery, bad.commandId)) ?? undefined);
    expect(outcome).toMatchObject({ accepted: false, code: 'INVALID_TRANSITION' });
    expect(await handle.query(getOrderQuery)).toMatchObject({ status: 'PENDING', version: 1 });
    expect(eventsOf(command.orderId)).toHaveLength(1);
  });

  it('refuses a repeated invalid signal again, and the order carries on', async () => {
    const { command, bad, handle } = await signalledOutOfTurn();
    await handle.signal(changeOrderStatusSignal, bad);
    await eventually(async () => (await handle.query(getCommandOutcomeQuery, bad.commandId)) ?? undefined);
    expect(await gateway.changeStatus(status(command.orderId, 'CONFIRMED'))).toMatchObject({ status: 'CONFIRMED', version: 2 });
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });

  it('ignores a repeated signal with the same commandId', async () => {
    const command = createCommand();
    await gateway.create(command);
    const confirm = status(command.orderId, 'CONFIRMED');
    await gateway.changeStatusAsync(confirm);
    await gateway.changeStatusAsync(confirm);
    const handle = client.workflow.getHandle(orderWorkflowId(command.orderId));
    await eventually(async () => ((await handle.query(getOrderQuery))?.version === 2 ? true : undefined));
    await gateway.changeStatus(status(command.orderId, 'SHIPPED'));
    expect(await handle.query(getOrderQuery)).toMatchObject({ status: 'SHIPPED', version: 3 });
  });
});

describe('when the history grows', () => {
  it('continues as new when the server suggests it, keeping state, outbox and recent commandIds', async () => {
    const command = createCommand();
    await gateway.create(command);
    const handle = client.workflow.getHandle(orderWorkflowId(command.orderId));
    const { runId: firstRun } = await handle.describe();
    // Bounce between PENDING-like steps is impossible, so use rejected signals to grow history.
    const early = status(command.orderId, 'CONFIRMED');
    await gateway.changeStatus(early);
    for (let i = 0; i < SUGGEST_CONTINUE_AS_NEW_AFTER; i += 1) await gateway.changeStatusAsync(status(command.orderId, 'DELIVERED'));
    const secondRun = await eventually(
      async () => {
        const { runId } = await handle.describe();
        return runId !== firstRun ? runId : undefined;
      },
      30_000,
      'continue-as-new',
    );
    expect(secondRun).not.toBe(firstRun);
    expect(await handle.query(getOrderQuery)).toMatchObject({ status: 'CONFIRMED', version: 2, totalCents: 10997 });
    // A commandId answered in the first run is still recognised in the second.
    expect(await gateway.changeStatus({ ...early })).toMatchObject({ status: 'CONFIRMED', version: 2 });
    const shipped = await gateway.changeStatus(status(command.orderId, 'SHIPPED'));
    expect(shipped).toMatchObject({ status: 'SHIPPED', version: 3 });
    await eventually(async () => (eventsOf(command.orderId).length === 3 ? true : undefined));
    expect(eventsOf(command.orderId).map((row) => row.version)).toEqual([1, 2, 3]);
  });
});

describe('when the order is terminal', () => {
  it('finishes once its events are delivered, refuses further commands and still answers a strong read', async () => {
    const command = createCommand();
    await gateway.create(command);
    const handle = client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(command.orderId));
    const reason = cancel(command.orderId, 'out of stock');
    await gateway.cancel(reason);
    const result = await handle.result();
    expect(result.state).toMatchObject({ status: 'CANCELLED', version: 2 });
    expect(result.recentCommands).toEqual([expect.objectContaining({ commandId: reason.commandId, accepted: true, version: 2 })]);
    expect(eventsOf(command.orderId).map((row) => row.event_type)).toEqual(['OrderCreated', 'OrderCancelled']);
    expect((await handle.describe()).status.name).toBe('COMPLETED');

    expect((await rejectionOf(gateway.changeStatus(status(command.orderId, 'CONFIRMED')))).code).toBe('INVALID_TRANSITION');
    expect((await rejectionOf(gateway.cancel(cancel(command.orderId)))).code).toBe('INVALID_TRANSITION');
    expect((await rejectionOf(gateway.create({ ...command, ...ids() }))).code).toBe('ORDER_ALREADY_EXISTS');
    // A retry of the cancel that finished it gets its first answer, not a refusal.
    expect(await gateway.cancel(reason)).toMatchObject({ status: 'CANCELLED', version: 2 });
    expect(await gateway.read(command.orderId)).toMatchObject({ status: 'CANCELLED', version: 2, total: 109.97 });
  });

  it('reports an unknown order as not found', async () => {
    expect((await rejectionOf(gateway.changeStatus(status('never-created', 'CONFIRMED')))).code).toBe('ORDER_NOT_FOUND');
    expect(await gateway.read('never-created')).toBeUndefined();
  });
});

describe('search attributes', () => {
  /** The workflow ids Temporal's visibility lists for a customer and status, once it lists any. */
  const listedAs = (customerId: string, orderStatus: OrderStatus) =>
    eventually(
      async () => {
        const ids: string[] = [];
        for await (const execution of client.workflow.list({ query: `CustomerId = '${customerId}' AND OrderStatus = '${orderStatus}'` }))
          ids.push(execution.workflowId);
        return ids.length > 0 ? ids : undefined;
      },
      15_000,
      'visibility',
    );

  it('make an order findable by status and customer', async () => {
    const command = { ...createCommand(), customerId: `cust-${randomUUID().slice(0, 8)}` };
    await gateway.create(command);
    await gateway.changeStatus(status(command.orderId, 'CONFIRMED'));
    expect(await listedAs(command.customerId, 'CONFIRMED')).toEqual([orderWorkflowId(command.orderId)]);
  });

  it('upsert only the final status of an order that moves on quickly, in the task that closes it', async () => {
    const command = { ...createCommand(), customerId: `cust-${randomUUID().slice(0, 8)}` };
    await gateway.create(command);
    for (const to of ['CONFIRMED', 'SHIPPED', 'DELIVERED'] as const) await gateway.changeStatus(status(command.orderId, to));
    const handle = client.workflow.getHandle(orderWorkflowId(command.orderId));
    await handle.result();
    const types = await historyEventTypes(handle);
    const upserts = types.flatMap((type, index) => (type.includes('UPSERT_WORKFLOW_SEARCH_ATTRIBUTES') ? [index] : []));
    // One upsert, after the last command was answered, with the completion in the same task.
    expect(upserts).toHaveLength(1);
    expect(upserts[0]).toBeGreaterThan(types.lastIndexOf('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED'));
    expect(types.slice(upserts[0] + 1)).toEqual(['EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED']);
    expect(await listedAs(command.customerId, 'DELIVERED')).toEqual([orderWorkflowId(command.orderId)]);
  });

  it("are brought up to date when a repeated command's receipt leaves nothing to deliver", async () => {
    const command = createCommand();
    await gateway.create(command);
    const confirm = status(command.orderId, 'CONFIRMED');
    await gateway.changeStatus(confirm);
    // A repeat the server does not answer itself (a new update id, as after a continue-as-new)
    // carries the receipt for the confirm and adds no event: no delivery will follow.
    const handle = client.workflow.getHandle(orderWorkflowId(command.orderId));
    await handle.executeUpdate(changeOrderStatusUpdate, { args: [confirm, { appendedThrough: 2 }], updateId: randomUUID() });
    await eventually(
      async () => ((await historyEventTypes(handle)).some((type) => type.includes('UPSERT_WORKFLOW_SEARCH_ATTRIBUTES')) ? true : undefined),
      10_000,
      'the upsert',
    );
    expect((await handle.describe()).searchAttributes.OrderStatus).toEqual(['CONFIRMED']);
    expect(deliveries(await historyEventTypes(handle))).toEqual({ local: 0, regular: 0 });
  });
});

describe('when an operator cancels the workflow (Temporal Web UI, `temporal workflow cancel`)', () => {
  it('ends it as cancelled while its outbox waits for a receipt, no workflow task failing', async () => {
    const command = createCommand();
    await gateway.create(command);
    await gateway.changeStatus(status(command.orderId, 'CONFIRMED'));
    const handle = client.workflow.getHandle(orderWorkflowId(command.orderId));
    await handle.cancel();
    await expect(handle.result()).rejects.toMatchObject({ cause: { name: 'CancelledFailure' } });
    const types = await historyEventTypes(handle);
    expect(types.at(-1)).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED');
    expect(types.filter((type) => type.includes('WORKFLOW_TASK_FAILED'))).toEqual([]);
  });
});
