/**
 * The Temporal server dies under the embedded service while a steady stream of commands runs:
 * commands answer 503 UNAVAILABLE at once (no 500, no hang), reads from the read models go on, the
 * service starts the dev server again on the same SQLite file, and no acknowledged command is lost
 * or counted twice.
 */
import { randomUUID } from 'node:crypto';
import { devServerDbFile, devServersUsing } from '../../src/temporal/devServer';
import { call } from '../support/http';
import { CommandLoad, checkInvariants, expectNothingLostOrDoubled, logQueryThrough } from '../support/load';
import { startTestStack, TestStack } from '../support/stack';

const SOAK = process.env.SOAK === '1';
const CRASHES = SOAK ? 5 : 2;

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

const order = (orderId: string) => ({ orderId, customerId: 'crash-customer', items: [{ productId: 'p', quantity: 1, price: 3.5 }] });

/** Kills the dev server and checks what a client meets until it is back. */
async function crashTemporal(confirmed: string): Promise<void> {
  const [pid] = devServersUsing(devServerDbFile(stack.config.dataDir));
  expect(pid).toBeDefined();
  process.kill(pid, 'SIGKILL');

  // The fetch itself is bounded (30 s in `call`): a hang fails the test rather than passing late.
  const during = await call(stack.apiUrl, 'POST', '/orders', { json: order(`during-${randomUUID().slice(0, 8)}`) });
  expect(during.status).toBe(503);
  expect(during.body.code).toBe('UNAVAILABLE');
  expect(during.headers.get('retry-after')).toBe('1');
  const strong = await call(stack.apiUrl, 'GET', `/orders/${confirmed}?consistency=strong`);
  expect([503, 200]).toContain(strong.status);
  // Reads from the read models do not need Temporal.
  expect((await call(stack.apiUrl, 'GET', `/orders/${confirmed}`)).body).toMatchObject({ status: 'CONFIRMED' });
}

it(
  'answers 503 while Temporal is down and recovers by itself under load, losing and doubling nothing acknowledged',
  async () => {
    const confirmed = `before-${randomUUID().slice(0, 8)}`;
    expect((await call(stack.apiUrl, 'POST', '/orders', { json: order(confirmed) })).status).toBe(201);
    expect((await call(stack.apiUrl, 'POST', `/orders/${confirmed}/status`, { json: { status: 'CONFIRMED' } })).status).toBe(200);
    expect((await call(stack.apiUrl, 'GET', `/orders/${confirmed}?minVersion=2`)).headers.get('x-read-model-version-reached')).toBe('true');

    const load = new CommandLoad(() => stack.apiUrl, { lanes: 8 }).start();
    try {
      await load.progress(20);
      for (let n = 0; n < CRASHES; n += 1) {
        await crashTemporal(confirmed);
        // The lanes send their commands again until the restarted server takes them.
        await load.progress(30, 120_000);
      }
    } finally {
      await load.stop();
    }
    expect((await call(stack.apiUrl, 'GET', '/readyz')).status).toBe(200);
    expect((await call(stack.apiUrl, 'POST', `/orders/${confirmed}/status`, { json: { status: 'SHIPPED' } })).body).toMatchObject({
      status: 'SHIPPED',
      version: 3,
    });
    // Checked with the load's orders: the statistics count every order of this stack.
    load.adopt({ orderId: confirmed, totalCents: 350, acknowledged: ['PENDING', 'CONFIRMED', 'SHIPPED'] });

    const report = await checkInvariants(stack.apiUrl, load.ledger, logQueryThrough(stack.ch.client), { database: stack.ch.database });
    expectNothingLostOrDoubled('Temporal server SIGKILL', load.figures, report, CRASHES);
    expect(load.figures.resent).toBeGreaterThan(0);
  },
  SOAK ? 900_000 : 300_000,
);
