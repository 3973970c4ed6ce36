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
  ])('%j: exits 2 saying %s', async (args, message) => {
    expect(await cli(...args)).toMatchObject({ code: 2, err: `VALIDATION_FAILED: ${message}\n` });
  });
});

it('sends what passes, and prints the answer', async () => {
  const created = await cli('create', '--order', 'cli-ok', '--customer', 'c', '--name', 'Zoë', '--item', 'p:2:29.99');
  expect(created).toMatchObject({ code: 0, err: '' });
  expect(created.out).toContain('cli-ok  PENDING  59.98  (version 1)');
});
