/**
 * The payment window on a real Temporal dev server: a PENDING order is cancelled by its own
 * workflow's durable timer once its window closes, and by nothing else. The dev server's clock
 * cannot be moved, so the windows here are seconds long. Events go to an EventLogWriter that keeps
 * rows in memory, so these tests see what the workflow's delivery writes.
 */
import { randomUUID } from 'node:crypto';
import { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { EventRow } from '../../src/clickhouse/eventLog';
import { DomainError } from '../../src/domain/errors';
import { ChangeOrderStatus, CreateOrder, OrderState, PAYMENT_WINDOW_COMMAND_ID } from '../../src/domain/order';
import { OrderGateway } from '../../src/temporal/orderGateway';
import type { orderWorkflow } from '../../workflows/order';
import { changeOrderStatusSignal, getOrderQuery, orderWorkflowId } from '../../workflows/messages';
import { appendingTo } from '../support/answerLog';
import { expectedTemporalWarnings } from '../support/quietTemporal';
import { eventually, temporalCli, workflowBundle } from '../support/stack';
import { memoryEventLog, orderWorkflowEnvironment, startOrderWorker } from '../support/workflowEnvironment';

// The continue-as-new test grows a history with signals the order refuses, on purpose.
expectedTemporalWarnings.pattern = /signal rejected/;

const TASK_QUEUE = 'orders-payment-window';
const WINDOW_MS = 2000;
// A small history limit makes the server suggest continue-as-new after a few commands.
const SUGGEST_CONTINUE_AS_NEW_AFTER = 40;

let env: TestWorkflowEnvironment;
let client: Client;
const eventLog = memoryEventLog();
const delivered = eventLog.rows;
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  env = await orderWorkflowEnvironment(temporalCli(), SUGGEST_CONTINUE_AS_NEW_AFTER);
  client = env.client;
  await startWorker(TASK_QUEUE);
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await eventLog.writer.close();
  await env?.teardown();
});

/** A worker on `taskQueue`, stopped after the tests unless the test stops it first. */
async function startWorker(taskQueue: string): Promise<() => Promise<void>> {
  const stop = await startOrderWorker(env, { taskQueue, workflowBundle: await workflowBundle(), eventLog });
  stops.push(stop);
  return stop;
}

/** The API's gateway, appending as the service does, creating orders with this payment window. */
function gatewayWith(paymentWindowMs: number | undefined, taskQueue = TASK_QUEUE): OrderGateway {
  return new OrderGateway(client, { taskQueue, paymentWindowMs, answerLog: appendingTo(eventLog.writer) });
}

function createCommand(): CreateOrder {
  return {
    type: 'CreateOrder',
    commandId: randomUUID(),
    correlationId: randomUUID(),
    orderId: `o-${randomUUID()}`,
    customerId: 'customer-123',
    customerName: 'Ada',
    customerNameGiven: true,
    items: [{ productId: 'prod-1', quantity: 2, unitPriceCents: 2999 }],
  };
}

const confirm = (orderId: string): ChangeOrderStatus => ({
  type: 'ChangeOrderStatus',
  commandId: randomUUID(),
  correlationId: randomUUID(),
  orderId,
  status: 'CONFIRMED',
});

const handleOf = (orderId: string, runId?: string): WorkflowHandle<typeof orderWorkflow> =>
  client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(orderId), runId);

const eventsOf = (orderId: string): EventRow[] => delivered.filter((row) => row.order_id === orderId);

const deadlineOf = (order: { createdAt: string }, windowMs: number): string => new Date(Date.parse(order.createdAt) + windowMs).toISOString();

async function currentDetails(orderId: string): Promise<string | undefined> {
  return (await handleOf(orderId).query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails;
}

/** The payment window's timer in one run of an order's workflow, as its history records it. */
interface WindowTimer {
  /** How long the run set it for. */
  durationMs: number;
  ended: 'fired' | 'canceled' | 'running';
}

async function paymentWindowTimers(orderId: string, runId?: string): Promise<WindowTimer[]> {
  const { EventType } = temporal.api.enums.v1;
  const events = (await handleOf(orderId, runId).fetchHistory()).events ?? [];
  const endOf = (timerId: string): WindowTimer['ended'] => {
    for (const event of events) {
      if (event.eventType === EventType.EVENT_TYPE_TIMER_FIRED && event.timerFiredEventAttributes?.timerId === timerId) return 'fired';
      if (event.eventType === EventType.EVENT_TYPE_TIMER_CANCELED && event.timerCanceledEventAttributes?.timerId === timerId) return 'canceled';
    }
    return 'running';
  };
  return events
    .filter((event) => event.eventType === EventType.EVENT_TYPE_TIMER_STARTED)
    .filter((event) => event.userMetadata?.summary && defaultPayloadConverter.fromPayload(event.userMetadata.summary) === 'payment window')
    .map((event) => {
      const timeout = event.timerStartedEventAttributes!.startToFireTimeout!;
      return {
        durationMs: Number(String(timeout.seconds ?? 0)) * 1000 + Math.round((timeout.nanos ?? 0) / 1e6),
        ended: endOf(event.timerStartedEventAttributes!.timerId!),
      };
    });
}

/** What an order's run ended with: its final state, from the workflow's result. */
async function finalState(orderId: string): Promise<OrderState | null> {
  return (await handleOf(orderId).result()).state;
}

describe('when an order is left PENDING past its payment window', () => {
  it('is cancelled by its own workflow, the system its author, and the cancellation reaches the event log', async () => {
    const gateway = gatewayWith(WINDOW_MS);
    const command = createCommand();
    const created = await gateway.create(command);
    const deadline = deadlineOf(created, WINDOW_MS);
    expect(await currentDetails(command.orderId)).toContain(`Payment due by ${deadline}`);

    const state = await finalState(command.orderId);
    const reason = `payment window expired at ${deadline}`;
    expect(state).toMatchObject({ status: 'CANCELLED', version: 2, cancellationReason: reason });
    const [createdRow, cancelledRow] = eventsOf(command.orderId);
    expect(eventsOf(command.orderId)).toHaveLength(2);
    expect(createdRow).toMatchObject({ event_type: 'OrderCreated', version: 1 });
    expect(cancelledRow).toMatchObject({ event_type: 'OrderCancelled', version: 2, command_id: PAYMENT_WINDOW_COMMAND_ID, previous_status: 'PENDING' });
    expect(JSON.parse(cancelledRow.payload)).toEqual({ previousStatus: 'PENDING', reason });
    expect(Date.parse(state!.updatedAt)).toBeGreaterThanOrEqual(Date.parse(deadline));
    expect(await paymentWindowTimers(command.orderId)).toEqual([{ durationMs: WINDOW_MS, ended: 'fired' }]);

    // Its answer is kept like any command's, and a late confirm meets the cancelled order.
    expect(await gateway.outcome(command.orderId, PAYMENT_WINDOW_COMMAND_ID)).toMatchObject({ accepted: true, version: 2, status: 'CANCELLED' });
    await expect(gateway.changeStatus(confirm(command.orderId))).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
  });
});

describe('when the order is confirmed within its window', () => {
  it('is left alone: the timer is cancelled with the confirm, and the deadline leaves the order as it was', async () => {
    const gateway = gatewayWith(WINDOW_MS);
    const command = createCommand();
    const created = await gateway.create(command);
    await gateway.changeStatus(confirm(command.orderId));
    expect(await currentDetails(command.orderId)).not.toContain('Payment due by');
    expect(await paymentWindowTimers(command.orderId)).toEqual([{ durationMs: WINDOW_MS, ended: 'canceled' }]);

    // Past the deadline, and past the outbox's own delivery delay.
    await new Promise((resolve) => setTimeout(resolve, Date.parse(deadlineOf(created, WINDOW_MS)) + 4000 - Date.now()));
    expect(await handleOf(command.orderId).query(getOrderQuery)).toMatchObject({ status: 'CONFIRMED', version: 2 });
    expect(eventsOf(command.orderId).map((row) => row.event_type)).toEqual(['OrderCreated', 'OrderStatusChanged']);
  });
});

describe('when the order has no payment window', () => {
  it('sets no timer: it waits for its commands however long', async () => {
    const command = createCommand();
    await gatewayWith(undefined).create(command);
    expect(await currentDetails(command.orderId)).not.toContain('Payment due by');
    expect(await paymentWindowTimers(command.orderId)).toEqual([]);
  });
});

describe('when no worker runs at the deadline', () => {
  it('is cancelled once a worker is back: the timer is kept by the Temporal server, not the worker', async () => {
    const taskQueue = `${TASK_QUEUE}-restarted`;
    const stopWorker = await startWorker(taskQueue);
    const gateway = gatewayWith(WINDOW_MS, taskQueue);
    const command = createCommand();
    const created = await gateway.create(command);
    await stopWorker();
    const deadline = deadlineOf(created, WINDOW_MS);
    await new Promise((resolve) => setTimeout(resolve, Date.parse(deadline) + 500 - Date.now()));
    expect((await handleOf(command.orderId).describe()).status.name).toBe('RUNNING');
    expect(eventsOf(command.orderId).map((row) => row.event_type)).toEqual(['OrderCreated']);

    await startWorker(taskQueue);
    expect(await finalState(command.orderId)).toMatchObject({ status: 'CANCELLED', cancellationReason: `payment window expired at ${deadline}` });
    expect(eventsOf(command.orderId).map((row) => row.command_id)).toEqual([command.commandId, PAYMENT_WINDOW_COMMAND_ID]);
  });
});

describe('when the order continues as new while its window runs', () => {
  it('is cancelled at the same deadline: the new run waits only for what was left of it', async () => {
    // Long enough for the rejected signals below to make the server suggest continue-as-new first.
    const windowMs = 10_000;
    const gateway = gatewayWith(windowMs);
    const command = createCommand();
    const created = await gateway.create(command);
    const { runId: firstRun } = await handleOf(command.orderId).describe();
    for (let i = 0; i < SUGGEST_CONTINUE_AS_NEW_AFTER; i += 1) {
      await handleOf(command.orderId).signal(changeOrderStatusSignal, { ...confirm(command.orderId), status: 'DELIVERED' });
    }
    await eventually(
      async () => ((await handleOf(command.orderId).describe()).runId !== firstRun ? true : undefined),
      windowMs,
      'continue-as-new before the deadline',
    );

    const deadline = deadlineOf(created, windowMs);
    expect(await finalState(command.orderId)).toMatchObject({ status: 'CANCELLED', cancellationReason: `payment window expired at ${deadline}` });
    expect(await paymentWindowTimers(command.orderId, firstRun)).toEqual([{ durationMs: windowMs, ended: 'running' }]);
    const [secondRunTimer] = await paymentWindowTimers(command.orderId);
    expect(secondRunTimer.ended).toBe('fired');
    expect(secondRunTimer.durationMs).toBeLessThan(windowMs);
    expect(eventsOf(command.orderId).map((row) => row.version)).toEqual([1, 2]);
  });
});

describe('when a confirm races the timer', () => {
  it('decides each order once: confirmed and never cancelled, or cancelled by its window and the confirm refused', async () => {
    const windowMs = 3000;
    const gateway = gatewayWith(windowMs);
    // Confirms sent from 0.8 s before the deadline to 1.6 s after it, 60 ms apart: the timer fires a
    // little after its deadline (here up to about 0.4 s), and the race is wherever that is.
    const offsets = Array.from({ length: 41 }, (_, i) => -800 + i * 60);
    const races = await Promise.all(
      offsets.map(async (offset) => {
        const command = createCommand();
        const created = await gateway.create(command);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(deadlineOf(created, windowMs)) + offset - Date.now())));
        const answer = await gateway.changeStatus(confirm(command.orderId)).then(
          () => 'confirmed' as const,
          (error: unknown) => {
            if (error instanceof DomainError && error.code === 'INVALID_TRANSITION') return 'refused' as const;
            throw error;
          },
        );
        return { orderId: command.orderId, answer };
      }),
    );

    for (const { orderId, answer } of races) {
      // Once the window's timer has ended, nothing more can happen to the order's status.
      await eventually(async () => ((await paymentWindowTimers(orderId))[0]?.ended !== 'running' ? true : undefined), 15_000, 'the timer to end');
      const state = await handleOf(orderId).query(getOrderQuery);
      if (answer === 'confirmed') {
        expect(state).toMatchObject({ status: 'CONFIRMED', version: 2 });
        expect(eventsOf(orderId).map((row) => [row.version, row.event_type])).toEqual([
          [1, 'OrderCreated'],
          [2, 'OrderStatusChanged'],
        ]);
      } else {
        expect(state).toMatchObject({ status: 'CANCELLED', version: 2 });
        await handleOf(orderId).result();
        expect(eventsOf(orderId).map((row) => [row.version, row.event_type, row.command_id])).toEqual([
          [1, 'OrderCreated', expect.any(String)],
          [2, 'OrderCancelled', PAYMENT_WINDOW_COMMAND_ID],
        ]);
      }
    }
    const eventIds = races.flatMap(({ orderId }) => eventsOf(orderId).map((row) => row.event_id));
    expect(new Set(eventIds).size).toBe(eventIds.length);
    // Both sides of the race were run: early confirms won, late ones met a cancelled order.
    expect(new Set(races.map(({ answer }) => answer))).toEqual(new Set(['confirmed', 'refused']));
  });
});
