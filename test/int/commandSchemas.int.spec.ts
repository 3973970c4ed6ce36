/**
 * The write model guards its own invariants, whoever calls it: commands sent straight to an order's
 * workflow through @temporalio/client, bypassing the API, are refused by its Update validators, or
 * recorded as rejected by its signal handlers, with the same code and message the API answers for
 * the same input. Nothing of a refused command is recorded.
 */
import { randomUUID } from 'node:crypto';
import { Client, WithStartWorkflowOperation, WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expirePaymentWindow } from '../../src/domain/order';
import type { orderWorkflow } from '../../workflows/order';
import {
  cancelOrderSignal,
  cancelOrderUpdate,
  changeOrderStatusUpdate,
  createOrderSignal,
  createOrderUpdate,
  getCommandOutcomeQuery,
  getOrderQuery,
  orderWorkflowId,
} from '../../workflows/messages';
import { call } from '../support/http';
import { InMemoryApi, startInMemoryApi } from '../support/inMemory';
import { expectedTemporalWarnings } from '../support/quietTemporal';
import { temporalCli, workflowBundle } from '../support/stack';
import { memoryEventLog, orderWorkflowEnvironment, startOrderWorker } from '../support/workflowEnvironment';

const TASK_QUEUE = 'orders-command-schemas';
// The workflow warns of each signal it rejects; these tests send such signals on purpose.
expectedTemporalWarnings.pattern = /signal rejected/;

const eventLog = memoryEventLog();
let env: TestWorkflowEnvironment;
let stopWorker: () => Promise<void>;
let client: Client;
let api: InMemoryApi;

beforeAll(async () => {
  env = await orderWorkflowEnvironment(temporalCli());
  stopWorker = await startOrderWorker(env, { taskQueue: TASK_QUEUE, workflowBundle: await workflowBundle(), eventLog });
  client = env.client;
  api = await startInMemoryApi();
});

afterAll(async () => {
  await api?.stop();
  await stopWorker?.();
  await eventLog.writer.close();
  await env?.teardown();
});

const meta = () => ({ commandId: randomUUID(), correlationId: randomUUID() });
const line = { productId: 'p-1', quantity: 2, unitPriceCents: 350 };

function createCommand(orderId: string, changes: Record<string, unknown> = {}) {
  return { type: 'CreateOrder', ...meta(), orderId, customerId: 'c-1', customerName: 'Ada', customerNameGiven: true, items: [line], ...changes };
}

const startOptions = (orderId: string) => ({
  workflowId: orderWorkflowId(orderId),
  taskQueue: TASK_QUEUE,
  args: [{ orderId }] as Parameters<typeof orderWorkflow>,
});

/** The failure an Update met: its type (the domain's code) and message. */
async function refusalOf(send: () => Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await send();
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure)
      return { code: error.cause.type ?? undefined, message: error.cause.message };
    throw error;
  }
  throw new Error('the workflow accepted the command');
}

/** The code and message the API answers for the same input. */
async function overHttp(method: string, path: string, json: unknown): Promise<{ code: string; message: string }> {
  const reply = await call(api.url, method, path, { json });
  expect(reply.status).toBe(400);
  return { code: reply.body.code, message: reply.body.detail };
}

/** Starts the order's workflow with a create command, as the API does, but with any command at all. */
function createWithStart(orderId: string, command: unknown) {
  return client.workflow.executeUpdateWithStart(createOrderUpdate, {
    args: [command as never],
    startWorkflowOperation: new WithStartWorkflowOperation<typeof orderWorkflow>('orderWorkflow', {
      ...startOptions(orderId),
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
}

async function createdOrder(): Promise<{ orderId: string; handle: WorkflowHandle<typeof orderWorkflow> }> {
  const orderId = `schemas-${randomUUID().slice(0, 8)}`;
  await createWithStart(orderId, createCommand(orderId));
  return { orderId, handle: client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(orderId)) };
}

describe('an Update sent straight to an order workflow', () => {
  it.each([
    ['a negative quantity', { items: [{ ...line, quantity: -1 }] }, { items: [{ productId: 'p-1', quantity: -1, price: 3.5 }] }],
    ['a lone surrogate in the name', { customerName: 'a\ud800b' }, { customerName: 'a\ud800b' }],
    ['a C1 control in the name', { customerName: 'Ada\u0085' }, { customerName: 'Ada\u0085' }],
    ['a name of 201 emoji', { customerName: '😀'.repeat(201) }, { customerName: '😀'.repeat(201) }],
    ['an id with a slash', { orderId: 'a/b' }, { orderId: 'a/b' }],
  ])('to create an order with %s is refused as the API refuses it, and records nothing', async (_case, command, body) => {
    const orderId = `schemas-${randomUUID().slice(0, 8)}`;
    const refused = await refusalOf(() => createWithStart(orderId, createCommand(orderId, command)));
    const http = await overHttp('POST', '/orders', {
      orderId: 'http-twin',
      customerId: 'c-1',
      customerName: 'Ada',
      items: [{ productId: 'p-1', quantity: 2, price: 3.5 }],
      ...body,
    });
    expect(refused).toEqual(http);
    expect(await client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(orderId)).query(getOrderQuery)).toBeNull();
  });

  it('to change the status to one that does not exist, or to cancel without a reason, is refused as the API refuses it', async () => {
    const { orderId, handle } = await createdOrder();
    const refusedStatus = await refusalOf(() =>
      handle.executeUpdate(changeOrderStatusUpdate, { args: [{ type: 'ChangeOrderStatus', ...meta(), orderId, status: 'LOST' } as never] }),
    );
    expect(refusedStatus).toEqual(await overHttp('POST', '/orders/any/status', { status: 'LOST' }));
    const refusedCancel = await refusalOf(() =>
      handle.executeUpdate(cancelOrderUpdate, { args: [{ type: 'CancelOrder', ...meta(), orderId, reason: ' \u0000 ' } as never] }),
    );
    expect(refusedCancel).toEqual(await overHttp('POST', '/orders/any/cancel', { reason: ' \u0000 ' }));
    expect(await handle.query(getOrderQuery)).toMatchObject({ status: 'PENDING', version: 1 });
  });

  it('naming another order than its own is refused', async () => {
    const { orderId, handle } = await createdOrder();
    const refused = await refusalOf(() =>
      handle.executeUpdate(cancelOrderUpdate, { args: [{ type: 'CancelOrder', ...meta(), orderId: 'someone-else', reason: 'x' } as never] }),
    );
    expect(refused).toEqual({ code: 'VALIDATION_FAILED', message: `orderId: someone-else is not this order (${orderId})` });
    expect(await handle.query(getOrderQuery)).toMatchObject({ status: 'PENDING', version: 1 });
  });

  it("carrying the command only the order's workflow sends, its payment window's expiry, is refused", async () => {
    const { orderId, handle } = await createdOrder();
    const refused = await refusalOf(() => handle.executeUpdate(cancelOrderUpdate, { args: [expirePaymentWindow(orderId, new Date()) as never] }));
    expect(refused).toEqual({ code: 'VALIDATION_FAILED', message: 'type: must be one of CreateOrder, ChangeOrderStatus, CancelOrder' });
    expect(await handle.query(getOrderQuery)).toMatchObject({ status: 'PENDING', version: 1 });
  });

  it('under a command id the system keeps for its own is refused as the API refuses the header, and records nothing', async () => {
    const { orderId, handle } = await createdOrder();
    const command = { type: 'CancelOrder', commandId: 'system:payment-window-expired', correlationId: 'c', orderId, reason: 'mine' };
    const refused = await refusalOf(() => handle.executeUpdate(cancelOrderUpdate, { args: [command as never] }));
    expect(refused).toEqual({ code: 'VALIDATION_FAILED', message: "commandId: must not start with system: (the service's own commands use it)" });
    const http = await call(api.url, 'POST', `/orders/any/cancel`, { json: { reason: 'mine' }, headers: { 'idempotency-key': command.commandId } });
    expect(http.body.errors).toEqual([{ field: 'Idempotency-Key', message: "must not start with system: (the service's own commands use it)" }]);
    expect(await handle.query(getCommandOutcomeQuery, command.commandId)).toBeNull();
    expect(await handle.query(getOrderQuery)).toMatchObject({ status: 'PENDING', version: 1 });
  });

  it("to create an order under another order's workflow is refused, and creates neither", async () => {
    const orderId = `schemas-${randomUUID().slice(0, 8)}`;
    const refused = await refusalOf(() => createWithStart(orderId, createCommand('someone-else')));
    expect(refused).toEqual({ code: 'VALIDATION_FAILED', message: `orderId: someone-else is not this order (${orderId})` });
    expect(await client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(orderId)).query(getOrderQuery)).toBeNull();
    await expect(client.workflow.getHandle(orderWorkflowId('someone-else')).describe()).rejects.toThrow(/not found/i);
  });
});

describe('a Signal sent straight to an order workflow', () => {
  it('to cancel with a blank reason is recorded as rejected, with the API code and message, and not applied', async () => {
    const { orderId, handle } = await createdOrder();
    const command = { type: 'CancelOrder', ...meta(), orderId, reason: '   ' };
    await handle.signal(cancelOrderSignal, command as never);
    const outcome = await handle.query(getCommandOutcomeQuery, command.commandId);
    const http = await overHttp('POST', '/orders/any/cancel', { reason: '   ' });
    expect(outcome).toEqual({ commandId: command.commandId, accepted: false, code: http.code, message: http.message });
    expect(await handle.query(getOrderQuery)).toMatchObject({ status: 'PENDING', version: 1 });
  });

  it('under a command id the system keeps for its own is refused without taking that id from the system', async () => {
    const { orderId, handle } = await createdOrder();
    const command = { type: 'CancelOrder', commandId: 'system:payment-window-expired', correlationId: 'c', orderId, reason: 'mine' };
    await handle.signal(cancelOrderSignal, command as never);
    const confirmed = await handle.executeUpdate(changeOrderStatusUpdate, { args: [{ type: 'ChangeOrderStatus', ...meta(), orderId, status: 'CONFIRMED' }] });
    expect(confirmed).toMatchObject({ status: 'CONFIRMED', version: 2 });
    // A refusal kept under the id would be the answer the payment window's own expiry met.
    expect(await handle.query(getCommandOutcomeQuery, command.commandId)).toBeNull();
  });

  it('to create an order with a negative quantity is recorded as rejected, and creates nothing', async () => {
    const orderId = `schemas-${randomUUID().slice(0, 8)}`;
    const command = createCommand(orderId, { items: [{ ...line, quantity: -1 }] });
    await client.workflow.signalWithStart('orderWorkflow', { ...startOptions(orderId), signal: createOrderSignal, signalArgs: [command as never] });
    const handle = client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(orderId));
    const outcome = await handle.query(getCommandOutcomeQuery, command.commandId);
    const http = await overHttp('POST', '/orders', { orderId: 'http-twin', customerId: 'c-1', items: [{ productId: 'p-1', quantity: -1, price: 3.5 }] });
    expect(outcome).toEqual({ commandId: command.commandId, accepted: false, code: http.code, message: http.message });
    expect(await handle.query(getOrderQuery)).toBeNull();
  });

  it("to create an order under another order's workflow is recorded as rejected, and creates nothing", async () => {
    const orderId = `schemas-${randomUUID().slice(0, 8)}`;
    const command = createCommand('someone-else');
    await client.workflow.signalWithStart('orderWorkflow', { ...startOptions(orderId), signal: createOrderSignal, signalArgs: [command as never] });
    const handle = client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(orderId));
    expect(await handle.query(getCommandOutcomeQuery, command.commandId)).toEqual({
      commandId: command.commandId,
      accepted: false,
      code: 'VALIDATION_FAILED',
      message: `orderId: someone-else is not this order (${orderId})`,
    });
    expect(await handle.query(getOrderQuery)).toBeNull();
  });

  it('that is no command at all is refused, and the order carries on', async () => {
    const { orderId, handle } = await createdOrder();
    await handle.signal(cancelOrderSignal, null as never);
    await handle.signal(cancelOrderSignal, 'cancel it' as never);
    // A workflow task failing on them would hold this Update back: its deadline bounds the wait.
    const confirmed = await client.withDeadline(Date.now() + 20_000, () =>
      handle.executeUpdate(changeOrderStatusUpdate, { args: [{ type: 'ChangeOrderStatus', ...meta(), orderId, status: 'CONFIRMED' }] }),
    );
    expect(confirmed).toMatchObject({ status: 'CONFIRMED', version: 2 });
  });
});
