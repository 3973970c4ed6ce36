/**
 * `npm run orders` checks what it is about to send against the API's own route declarations: bad
 * input is refused before anything is sent, in the very words the API would answer with.
 */
import { ordersCli } from '../support/cli';
import { call } from '../support/http';
import { InMemoryApi, startInMemoryApi } from '../support/inMemory';
import { TEST_KEYS } from '../support/keys';

let api: InMemoryApi;

beforeAll(async () => {
  api = await startInMemoryApi();
});

afterAll(async () => {
  await api?.stop();
});

const cli = ordersCli(() => ({ ORDERS_API_URL: api.url, ORDERS_API_KEY: TEST_KEYS.write }));

describe('given input the API would refuse', () => {
  it.each([
    [
      ['create', '--order', 'cli-1', '--customer', 'c', '--item', 'p:-1:2.50'],
      { orderId: 'cli-1', customerId: 'c', items: [{ productId: 'p', quantity: -1, price: 2.5 }] },
    ],
    [
      ['create', '--order', 'cli-2', '--customer', 'c', '--name', 'Ada\u0085', '--item', 'p:1:1'],
      { orderId: 'cli-2', customerId: 'c', customerName: 'Ada\u0085', items: [{ productId: 'p', quantity: 1, price: 1 }] },
    ],
    [
      ['create', '--order', '../x', '--customer', 'c', '--item', 'p:1:1.005'],
      { orderId: '../x', customerId: 'c', items: [{ productId: 'p', quantity: 1, price: 1.005 }] },
    ],
  ])('%j: exits 2 with the API own message, sending nothing', async (args, body) => {
    const before = api.requests();
    const refused = await cli(...args);
    expect(api.requests()).toBe(before);
    const answer = await call(api.url, 'POST', '/orders', { json: body });
    expect(answer.status).toBe(400);
    expect(refused).toMatchObject({ code: 2, out: '' });
    expect(refused.err.trim()).toBe(`VALIDATION_FAILED: ${answer.body.detail}`);
  });

  it.each([
    [['status', 'cli-x', 'LOST'], 'status: must be one of PENDING, CONFIRMED, SHIPPED, DELIVERED, CANCELLED'],
    [['cancel', 'cli-x', '--reason', '  '], 'reason: must not be empty'],
    [['list', '--limit', '500'], 'limit: must be an integer from 1 to 200'],
    [['list', '--status', 'shipped'], 'status: must be one of PENDING, CONFIRMED, SHIPPED, DELIVERED, CANCELLED'],
    [['stats', '--from', '2026-13-01'], 'from: must be a date (2026-11-01) or a date-time with its zone (2026-11-01T00:00:00Z)'],
    [['get', 'a/b'], 'orderId: may contain only letters, digits and . _ : @ -, and must start with a letter or digit'],
    [['history', 'a/b'], 'orderId: may contain only letters, digits and . _ : @ -, and must start with a letter or digit'],
    [['history', 'cli-x', '--as-of', 'last week'], 'asOf: must be a date (2026-11-01) or a date-time with its zone (2026-11-01T00:00:00Z)'],
    [['stats', '--as-of', '2026-11-01T10:00:00'], 'asOf: must be a date (2026-11-01) or a date-time with its zone (2026-11-01T00:00:00Z)'],
  ])('%j: exits 2 saying %s', async (args, message) => {
    expect(await cli(...args)).toMatchObject({ code: 2, err: `VALIDATION_FAILED: ${message}\n` });
  });
});

it('sends what passes, and prints the answer', async () => {
  const created = await cli('create', '--order', 'cli-ok', '--customer', 'c', '--name', 'Zoë', '--item', 'p:2:29.99');
  expect(created).toMatchObject({ code: 0, err: '' });
  expect(created.out).toContain('cli-ok  PENDING  59.98  (version 1)');
});

describe('history', () => {
  it('prints an order and its events, and with --json both as the API answered them', async () => {
    await cli('create', '--order', 'cli-h', '--customer', 'c', '--name', 'Ada', '--item', 'p:2:29.99', '--idempotency-key', 'h-create');
    await cli('status', 'cli-h', 'CONFIRMED', '--idempotency-key', 'h-confirm');
    const shown = await cli('history', 'cli-h');
    expect(shown).toMatchObject({ code: 0, err: '' });
    expect(shown.out).toContain('cli-h  CONFIRMED  59.98  (version 2)');
    expect(shown.out).toMatch(/v1 {2}OrderCreated {8}created: 1 line, 59\.98, for Ada \(c\) {2}\(command h-create\)/);
    expect(shown.out).toMatch(/v2 {2}OrderStatusChanged {2}PENDING → CONFIRMED {2}\(command h-confirm\)/);

    const json = JSON.parse((await cli('history', 'cli-h', '--json')).out);
    const events = (await call(api.url, 'GET', '/orders/cli-h/events')).body.events;
    expect(json).toEqual({ order: (await call(api.url, 'GET', '/orders/cli-h')).body, events });
  });

  it('with --as-of, prints the order as it stood then and its events up to then', async () => {
    const [created] = (await call(api.url, 'GET', '/orders/cli-h/events')).body.events;
    const shown = await cli('history', 'cli-h', '--as-of', created.occurredAt);
    expect(shown.out).toContain(`as of ${created.occurredAt}`);
    expect(shown.out).toContain('cli-h  PENDING  59.98  (version 1)');
    expect(shown.out).not.toContain('OrderStatusChanged');
  });

  it('reports an order that does not exist, or did not yet, with the API code (exit 1)', async () => {
    expect(await cli('history', 'cli-none')).toMatchObject({ code: 1, err: '404 ORDER_NOT_FOUND: order cli-none does not exist\n' });
    expect((await cli('history', 'cli-h', '--as-of', '2000-01-01')).err).toBe('404 ORDER_NOT_FOUND: order cli-h did not exist at 2000-01-01T00:00:00.000Z\n');
  });
});
