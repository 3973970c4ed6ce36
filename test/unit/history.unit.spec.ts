/**
 * An order's history and the past, through the HTTP API in-process over in-memory ports, with a
 * clock the test moves: the events of an order a page at a time, the order as it stood at a past
 * instant (folded from its events with the domain's evolve), statistics and revenue as of a past
 * instant, and every refusal of bad input (unknown orders, malformed or future instants, cursors
 * the API did not issue).
 */
import { call, expectProblem, Reply } from '../support/http';
import { InMemoryApi, startInMemoryApi } from '../support/inMemory';

let api: InMemoryApi;
let clock = new Date('2026-03-01T10:00:00.000Z');
const at = (iso: string) => (clock = new Date(iso));

// created 10:00 → confirmed 11:00 → cancelled 12:00; a second order created at 11:30 and left PENDING.
const CREATED = '2026-03-01T10:00:00.000Z';
const CONFIRMED = '2026-03-01T11:00:00.000Z';
const CANCELLED = '2026-03-01T12:00:00.000Z';
const items = [
  { productId: 'prod-1', productName: 'Pen', quantity: 2, price: 29.99 },
  { productId: 'prod-2', quantity: 1, price: 49.99 },
];

beforeAll(async () => {
  api = await startInMemoryApi({ now: () => clock });
  at(CREATED);
  expect(
    (await call(api.url, 'POST', '/orders', { json: { orderId: 'past-1', customerId: 'c-1', items }, headers: { 'idempotency-key': 'k-create' } })).status,
  ).toBe(201);
  at(CONFIRMED);
  expect((await call(api.url, 'POST', '/orders/past-1/status', { json: { status: 'CONFIRMED' }, headers: { 'idempotency-key': 'k-confirm' } })).status).toBe(
    200,
  );
  at('2026-03-01T11:30:00.000Z');
  expect(
    (await call(api.url, 'POST', '/orders', { json: { orderId: 'past-2', customerId: 'c-2', items: [{ productId: 'p', quantity: 1, price: 5 }] } })).status,
  ).toBe(201);
  at(CANCELLED);
  expect(
    (await call(api.url, 'POST', '/orders/past-1/cancel', { json: { reason: 'changed my mind' }, headers: { 'idempotency-key': 'k-cancel' } })).status,
  ).toBe(200);
  at('2026-03-02T09:00:00.000Z');
});

afterAll(async () => {
  await api?.stop();
});

/** The field a refusal names, with its message. */
const refusedField = (body: { errors?: Array<{ field: string; message: string }> }) => Object.fromEntries((body.errors ?? []).map((e) => [e.field, e.message]));

describe("an order's events", () => {
  it('are answered in version order, each with its envelope and its payload as data', async () => {
    const reply = await call(api.url, 'GET', '/orders/past-1/events');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      orderId: 'past-1',
      nextCursor: null,
      events: [
        {
          eventId: 'past-1:1',
          type: 'OrderCreated',
          version: 1,
          occurredAt: CREATED,
          commandId: 'k-create',
          correlationId: expect.any(String),
          data: { customerId: 'c-1', customerName: 'Customer-c-1', customerNameGiven: false, items, total: 109.97 },
        },
        expect.objectContaining({
          type: 'OrderStatusChanged',
          version: 2,
          occurredAt: CONFIRMED,
          commandId: 'k-confirm',
          data: { oldStatus: 'PENDING', newStatus: 'CONFIRMED' },
        }),
        expect.objectContaining({
          type: 'OrderCancelled',
          version: 3,
          occurredAt: CANCELLED,
          commandId: 'k-cancel',
          data: { previousStatus: 'CONFIRMED', reason: 'changed my mind' },
        }),
      ],
    });
  });

  it('come a page at a time, each page pointing to the next with a cursor, the last with null', async () => {
    const seen: number[] = [];
    let cursor: string | null = '';
    for (let pages = 0; cursor !== null && pages < 5; pages += 1) {
      const reply: Reply = await call(api.url, 'GET', `/orders/past-1/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(reply.status).toBe(200);
      seen.push(...reply.body.events.map((event: { version: number }) => event.version));
      cursor = reply.body.nextCursor;
    }
    expect(seen).toEqual([1, 2, 3]);
  });

  it('stop at a past instant with asOf', async () => {
    const reply = await call(api.url, 'GET', `/orders/past-1/events?asOf=${CONFIRMED}`);
    expect(reply.body.events.map((event: { type: string }) => event.type)).toEqual(['OrderCreated', 'OrderStatusChanged']);
  });

  it.each([
    ['/orders/no-such-order/events', 'order no-such-order does not exist'],
    ['/orders/past-1/events?asOf=2026-03-01T09:59:59.999Z', 'order past-1 did not exist at 2026-03-01T09:59:59.999Z'],
    ['/orders/past-2?asOf=2026-03-01T11:00:00Z', 'order past-2 did not exist at 2026-03-01T11:00:00.000Z'],
  ])('answer GET %s with 404 ORDER_NOT_FOUND: an order that does not exist, or did not yet at asOf', async (path, detail) => {
    const reply = await call(api.url, 'GET', path);
    expectProblem(reply, 404, 'ORDER_NOT_FOUND');
    expect(reply.body.detail).toBe(detail);
  });

  it.each([
    ['made up', 'zzz', 'is not a cursor this API issued'],
    ["of the order list's", '__LIST__', 'is not a cursor this API issued'],
    ["of another order's events", '__OTHER__', 'is not a cursor this API issued for this order'],
  ])('refuse a cursor %s with 400 naming cursor', async (_what, given, message) => {
    let cursor = given;
    if (given === '__LIST__') cursor = (await call(api.url, 'GET', '/orders?limit=1')).body.nextCursor;
    if (given === '__OTHER__') cursor = (await call(api.url, 'GET', '/orders/past-1/events?limit=1')).body.nextCursor;
    const reply = await call(api.url, 'GET', `/orders/past-2/events?cursor=${cursor}`);
    expectProblem(reply, 400, 'VALIDATION_FAILED');
    expect(refusedField(reply.body)).toEqual({ cursor: message });
  });
});

describe('an order as it stood at a past instant', () => {
  it.each([
    ['its creation', CREATED, { status: 'PENDING', version: 1, updatedAt: CREATED }],
    ['between two events', '2026-03-01T11:59:59.999Z', { status: 'CONFIRMED', version: 2, updatedAt: CONFIRMED }],
    ['its last event', CANCELLED, { status: 'CANCELLED', version: 3, updatedAt: CANCELLED }],
  ])('at %s is folded from its events up to then, items included', async (_when, asOf, expected) => {
    const reply = await call(api.url, 'GET', `/orders/past-1?asOf=${asOf}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      orderId: 'past-1',
      customerId: 'c-1',
      customerName: 'Customer-c-1',
      items,
      itemCount: 2,
      total: 109.97,
      createdAt: CREATED,
      ...expected,
    });
  });

  it('takes a date as midnight UTC, and a date-time in another zone', async () => {
    expect((await call(api.url, 'GET', '/orders/past-1?asOf=2026-03-02')).body.status).toBe('CANCELLED');
    expect((await call(api.url, 'GET', '/orders/past-1?asOf=2026-03-01T12:30:00%2B01:00')).body.status).toBe('CONFIRMED');
  });

  it.each([
    ['in the future', '/orders/past-1?asOf=2026-03-02T09:00:00.001Z', 'must not be in the future'],
    ['far in the future', '/orders/past-1?asOf=9999-01-01', 'must not be in the future'],
    ['not a time', '/orders/past-1?asOf=yesterday', 'must be a date (2026-11-01) or a date-time with its zone (2026-11-01T00:00:00Z)'],
    ['without its zone', '/orders/past-1?asOf=2026-03-01T11:00:00', 'must be a date (2026-11-01) or a date-time with its zone (2026-11-01T00:00:00Z)'],
    [
      'with consistency=strong',
      `/orders/past-1?asOf=${CREATED}&consistency=strong`,
      'cannot be combined with consistency=strong or minVersion: the order as it stood then is read from the event log',
    ],
    [
      'with minVersion',
      `/orders/past-1?asOf=${CREATED}&minVersion=1`,
      'cannot be combined with consistency=strong or minVersion: the order as it stood then is read from the event log',
    ],
    ['on the events, in the future', '/orders/past-1/events?asOf=2027-01-01', 'must not be in the future'],
  ])('refuses asOf %s with 400 naming asOf', async (_what, path, message) => {
    const reply = await call(api.url, 'GET', path);
    expectProblem(reply, 400, 'VALIDATION_FAILED');
    expect(refusedField(reply.body)).toEqual({ asOf: message });
  });
});

describe('statistics as of a past instant', () => {
  const day = 'from=2026-03-01&to=2026-03-02';

  it('count an order cancelled later as not cancelled, and leave out one created later', async () => {
    const reply = await call(api.url, 'GET', `/stats/orders?${day}&asOf=2026-03-01T11:15:00Z`);
    expect(reply.body).toEqual({
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-03-02T00:00:00.000Z',
      asOf: '2026-03-01T11:15:00.000Z',
      totalOrders: 1,
      totalRevenue: 109.97,
      netRevenue: 109.97,
      averageOrderValue: 109.97,
      ordersByStatus: { PENDING: 0, CONFIRMED: 1, SHIPPED: 0, DELIVERED: 0, CANCELLED: 0 },
    });
  });

  it('are those of now without asOf', async () => {
    const reply = await call(api.url, 'GET', `/stats/orders?${day}`);
    expect(reply.body).toMatchObject({ totalOrders: 2, netRevenue: 5, ordersByStatus: { PENDING: 1, CANCELLED: 1 } });
    expect(reply.body).not.toHaveProperty('asOf');
  });

  it('end the default range at asOf', async () => {
    const reply = await call(api.url, 'GET', '/stats/orders?asOf=2026-03-01T11:45:00Z');
    expect(reply.body).toMatchObject({ from: '2026-01-30T11:45:00.000Z', to: '2026-03-01T11:45:00.000Z', totalOrders: 2 });
  });

  it('per day in /analytics/revenue too', async () => {
    const reply = await call(api.url, 'GET', `/analytics/revenue?${day}&granularity=day&asOf=2026-03-01T11:15:00Z`);
    expect(reply.body).toMatchObject({
      asOf: '2026-03-01T11:15:00.000Z',
      buckets: [{ orders: 1, cancelledOrders: 0, totalRevenue: 109.97, netRevenue: 109.97 }],
    });
    const now = await call(api.url, 'GET', `/analytics/revenue?${day}&granularity=day`);
    expect(now.body.buckets).toEqual([{ start: '2026-03-01T00:00:00.000Z', orders: 2, cancelledOrders: 1, totalRevenue: 114.97, netRevenue: 5 }]);
  });

  it.each(['/stats/orders?asOf=2026-03-03', '/analytics/revenue?asOf=2026-03-02T09:00:01Z'])('refuse a future asOf: %s', async (path) => {
    const reply = await call(api.url, 'GET', path);
    expectProblem(reply, 400, 'VALIDATION_FAILED');
    expect(refusedField(reply.body)).toEqual({ asOf: 'must not be in the future' });
  });
});
