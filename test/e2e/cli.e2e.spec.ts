/**
 * `npm run orders`: the command-line client against a running service, in people's words and in
 * JSON, with the API's own validation messages for bad input.
 */
import { randomUUID } from 'node:crypto';
import { ordersCli } from '../support/cli';
import { call } from '../support/http';
import { runScript } from '../support/processes';
import { startTestStack, TEST_KEYS, TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

const cli = ordersCli(() => ({ ORDERS_API_URL: stack.apiUrl, ORDERS_API_KEY: TEST_KEYS.write }));

it('creates, moves, reads, lists and cancels orders, printing them for people', async () => {
  const orderId = `cli-${randomUUID().slice(0, 8)}`;
  const created = await cli(
    'create',
    '--order',
    orderId,
    '--customer',
    'cli-customer',
    '--name',
    'Ada',
    '--item',
    'prod-1:2:29.99',
    '--item',
    'prod-2:1:49.99',
  );
  expect(created).toMatchObject({ code: 0, err: '' });
  expect(created.out).toContain(`${orderId}  PENDING  109.97  (version 1)`);
  expect(created.out).toContain('2 × prod-1 at 29.99');

  expect((await cli('status', orderId, 'CONFIRMED')).out).toContain('now CONFIRMED');
  const got = await cli('get', orderId, '--strong');
  expect(got.out).toContain('CONFIRMED');
  expect(got.out).toContain('customer  Ada (cli-customer)');

  await call(stack.apiUrl, 'GET', `/orders/${orderId}?minVersion=2`);
  const listed = await cli('list', '--customer', 'cli-customer');
  expect(listed.out).toMatch(new RegExp(`${orderId}\\s+CONFIRMED\\s+109\\.97\\s+cli-customer`));

  const cancelled = await cli('cancel', orderId, '--reason', 'changed my mind');
  expect(cancelled.code).toBe(0);
  expect(cancelled.out).toContain('CANCELLED');
});

it('prints the API answer as JSON with --json, for scripts', async () => {
  const orderId = `cli-${randomUUID().slice(0, 8)}`;
  const created = await cli('create', '--order', orderId, '--customer', 'c', '--item', 'p:1:5', '--json');
  expect(JSON.parse(created.out)).toMatchObject({ orderId, status: 'PENDING', total: 5, version: 1 });
  const stats = await cli('stats', '--from', '2000-01-01', '--to', '2299-01-01', '--json');
  expect(JSON.parse(stats.out)).toMatchObject({ totalOrders: expect.any(Number), ordersByStatus: expect.any(Object) });
});

it("prints an order's history, now and as of a past instant, for people and with --json", async () => {
  const orderId = `cli-${randomUUID().slice(0, 8)}`;
  await cli('create', '--order', orderId, '--customer', 'c', '--item', 'p:1:5', '--idempotency-key', `${orderId}-create`);
  await new Promise((resolve) => setTimeout(resolve, 30));
  await cli('cancel', orderId, '--reason', 'too slow', '--idempotency-key', `${orderId}-cancel`);
  const now = await cli('history', orderId);
  expect(now).toMatchObject({ code: 0, err: '' });
  expect(now.out).toContain(`${orderId}  CANCELLED  5.00  (version 2)`);
  expect(now.out).toContain(`PENDING → CANCELLED: too slow  (command ${orderId}-cancel)`);

  const { events } = JSON.parse((await cli('history', orderId, '--json')).out);
  expect(events.map((event: { type: string }) => event.type)).toEqual(['OrderCreated', 'OrderCancelled']);
  const then = await cli('history', orderId, '--as-of', events[0].occurredAt, '--json');
  expect(JSON.parse(then.out)).toMatchObject({ order: { status: 'PENDING', version: 1, items: [{ productId: 'p' }] }, events: [events[0]] });
});

it("refuses bad input with the API's own message, before sending anything (exit 2)", async () => {
  const orderId = `cli-${randomUUID().slice(0, 8)}`;
  const local = await cli('create', '--order', orderId, '--customer', 'c', '--item', 'p:0:1.999');
  expect(local.code).toBe(2);
  const api = await call(stack.apiUrl, 'POST', '/orders', { json: { orderId, customerId: 'c', items: [{ productId: 'p', quantity: 0, price: 1.999 }] } });
  expect(local.err.trim()).toBe(`VALIDATION_FAILED: ${api.body.detail}`);
  expect((await call(stack.apiUrl, 'GET', `/orders/${orderId}?consistency=strong`)).status).toBe(404);

  expect((await cli('status', orderId, 'LOST')).err).toContain('status: must be one of PENDING, CONFIRMED, SHIPPED, DELIVERED, CANCELLED');
  expect((await cli('create', '--order', 'x', '--customer', 'c', '--item', 'nonsense')).err).toContain('must be productId:quantity:price');
  const usage = await cli();
  expect(usage.code).toBe(2);
  expect(usage.err).toContain('usage: npm run orders');
});

it('reports what the service refused, with its code (exit 1)', async () => {
  const orderId = `cli-${randomUUID().slice(0, 8)}`;
  await cli('create', '--order', orderId, '--customer', 'c', '--item', 'p:1:1');
  const refused = await cli('status', orderId, 'DELIVERED');
  expect(refused.code).toBe(1);
  expect(refused.err).toMatch(/^409 INVALID_TRANSITION: order .* cannot go from PENDING to DELIVERED/);
  expect((await cli('get', 'no-such-order')).err).toMatch(/^404 ORDER_NOT_FOUND/);
});

it('runs as its own program', async () => {
  const run = await runScript('src/cli/orders.ts', { ORDERS_API_URL: stack.apiUrl, ORDERS_API_KEY: TEST_KEYS.read }, 60_000, ['stats']);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('average order value');
});
