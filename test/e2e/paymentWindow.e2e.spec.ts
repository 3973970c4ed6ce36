/**
 * The payment window through the whole service: with PENDING_ORDER_TIMEOUT set, an order left
 * PENDING is cancelled by its own workflow and the cancellation reaches the event log and the read
 * models like any other. The window is fixed in each order as it starts: it outlives a restart of
 * the whole service (its embedded Temporal server included), and a restart with another setting
 * changes only the orders created after it.
 */
import { randomUUID } from 'node:crypto';
import { PAYMENT_WINDOW_COMMAND_ID } from '../../src/domain/order';
import { call, expectProblem } from '../support/http';
import { eventually, startTestStack, TestStack } from '../support/stack';

const WINDOW_MS = 3000;
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ env: { PENDING_ORDER_TIMEOUT: `${WINDOW_MS / 1000}s` } });
});

afterAll(async () => {
  await stack?.stop();
});

const order = (orderId: string) => ({ orderId, customerId: 'c-window', items: [{ productId: 'p-1', quantity: 1, price: 10 }] });

async function loggedEvents(orderId: string): Promise<Array<{ version: number; event_type: string; command_id: string; payload: string }>> {
  const result = await stack.ch.client.query({
    query: `SELECT version, event_type, command_id, payload FROM ${stack.ch.database}.order_events FINAL WHERE order_id = {orderId:String} ORDER BY version`,
    query_params: { orderId },
    format: 'JSONEachRow',
  });
  return (await result.json<{ version: number; event_type: string; command_id: string; payload: string }>()).map((row) => ({
    ...row,
    version: Number(row.version),
  }));
}

it('cancels an order left PENDING though the service restarted meanwhile without the setting, which leaves later orders open', async () => {
  const windowed = `windowed-${randomUUID().slice(0, 8)}`;
  const created = await call(stack.apiUrl, 'POST', '/orders', { json: order(windowed) });
  expect(created.status).toBe(201);
  const deadline = new Date(Date.parse(created.body.createdAt) + WINDOW_MS).toISOString();

  const config = stack.config;
  await stack.stop(true);
  stack = await startTestStack({ config: { ...config, pendingOrderTimeoutMs: undefined } });
  const open = `open-${randomUUID().slice(0, 8)}`;
  const openCreated = await call(stack.apiUrl, 'POST', '/orders', { json: order(open) });
  expect(openCreated.status).toBe(201);

  const view = await eventually(
    async () => {
      const reply = await call(stack.apiUrl, 'GET', `/orders/${windowed}`);
      return reply.body.status === 'CANCELLED' ? reply.body : undefined;
    },
    30_000,
    'the read model to show the cancellation',
  );
  expect(view).toMatchObject({ orderId: windowed, status: 'CANCELLED', version: 2 });
  const events = await loggedEvents(windowed);
  expect(events.map(({ version, event_type, command_id }) => ({ version, event_type, command_id }))).toEqual([
    { version: 1, event_type: 'OrderCreated', command_id: expect.any(String) },
    { version: 2, event_type: 'OrderCancelled', command_id: PAYMENT_WINDOW_COMMAND_ID },
  ]);
  expect(JSON.parse(events[1].payload)).toEqual({ previousStatus: 'PENDING', reason: `payment window expired at ${deadline}` });
  // Its history names the service as the cancellation's author.
  expect((await call(stack.apiUrl, 'GET', `/orders/${windowed}/events`)).body.events[1]).toMatchObject({
    type: 'OrderCancelled',
    commandId: PAYMENT_WINDOW_COMMAND_ID,
    data: { previousStatus: 'PENDING', reason: `payment window expired at ${deadline}` },
  });
  expect((await call(stack.apiUrl, 'GET', `/orders/${windowed}/commands/${PAYMENT_WINDOW_COMMAND_ID}`)).body).toMatchObject({
    commandId: PAYMENT_WINDOW_COMMAND_ID,
    accepted: true,
    status: 'CANCELLED',
    version: 2,
  });
  expectProblem(await call(stack.apiUrl, 'POST', `/orders/${windowed}/status`, { json: { status: 'CONFIRMED' } }), 409, 'INVALID_TRANSITION');

  // The order created after the restart has no window: past where one would have closed, it waits.
  await new Promise((resolve) => setTimeout(resolve, Date.parse(openCreated.body.createdAt) + WINDOW_MS + 1000 - Date.now()));
  expect((await call(stack.apiUrl, 'GET', `/orders/${open}?consistency=strong`)).body).toMatchObject({ status: 'PENDING', version: 1 });
  expect((await call(stack.apiUrl, 'POST', `/orders/${open}/status`, { json: { status: 'CONFIRMED' } })).status).toBe(200);
});
