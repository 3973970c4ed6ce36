/**
 * The Temporal server dies under the embedded service: commands answer 503 UNAVAILABLE at once
 * (no 500, no hang), the service starts the dev server again on the same SQLite file, and every
 * order acknowledged before the crash is still there.
 */
import { randomUUID } from 'node:crypto';
import { devServerDbFile, devServersUsing } from '../../src/temporal/devServer';
import { call } from '../support/http';
import { eventually, startTestStack, TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

const order = (orderId: string) => ({ orderId, customerId: 'crash-customer', items: [{ productId: 'p', quantity: 1, price: 3.5 }] });

it('answers 503 while Temporal is down and recovers by itself, losing nothing acknowledged', async () => {
  const before = `before-${randomUUID().slice(0, 8)}`;
  expect((await call(stack.apiUrl, 'POST', '/orders', { json: order(before) })).status).toBe(201);
  expect((await call(stack.apiUrl, 'POST', `/orders/${before}/status`, { json: { status: 'CONFIRMED' } })).status).toBe(200);
  // The confirmation reaches the read model by an activity; wait for it so the read below
  // checks the read model, not a race between the kill and the append.
  expect((await call(stack.apiUrl, 'GET', `/orders/${before}?minVersion=2`)).headers.get('x-read-model-version-reached')).toBe('true');

  const [pid] = devServersUsing(devServerDbFile(stack.config.dataDir));
  expect(pid).toBeDefined();
  process.kill(pid, 'SIGKILL');

  // The fetch itself is bounded (30 s in `call`): a hang fails the test rather than passing late.
  const during = await call(stack.apiUrl, 'POST', '/orders', { json: order(`during-${randomUUID().slice(0, 8)}`) });
  expect(during.status).toBe(503);
  expect(during.body.code).toBe('UNAVAILABLE');
  expect(during.headers.get('retry-after')).toBe('1');
  const strong = await call(stack.apiUrl, 'GET', `/orders/${before}?consistency=strong`);
  expect([503, 200]).toContain(strong.status);
  // Reads from the read models do not need Temporal.
  expect((await call(stack.apiUrl, 'GET', `/orders/${before}`)).body).toMatchObject({ status: 'CONFIRMED' });

  const after = `after-${randomUUID().slice(0, 8)}`;
  await eventually(
    async () => ((await call(stack.apiUrl, 'POST', '/orders', { json: order(after) })).status === 201 ? true : undefined),
    90_000,
    'a command to succeed after the restart',
  );
  expect((await call(stack.apiUrl, 'GET', '/readyz')).status).toBe(200);
  expect((await call(stack.apiUrl, 'GET', `/orders/${before}?consistency=strong`)).body).toMatchObject({ status: 'CONFIRMED', version: 2 });
  expect((await call(stack.apiUrl, 'POST', `/orders/${before}/status`, { json: { status: 'SHIPPED' } })).body).toMatchObject({ status: 'SHIPPED', version: 3 });
  expect((await call(stack.apiUrl, 'GET', `/orders/${after}?minVersion=1`)).body).toMatchObject({ version: 1 });
});
