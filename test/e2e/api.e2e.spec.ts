/**
 * Every row of the HTTP contract (README.md, "The API") over real HTTP, against the whole service: a Temporal
 * dev server, the worker, chDB and the Koa API, as `npm start` runs them.
 */
import { randomUUID } from 'node:crypto';
import { LIMITS } from '../../src/domain/commands';
import { call, expectProblem } from '../support/http';
import { expectedTemporalWarnings } from '../support/quietTemporal';
import { eventually, startTestStack, TestStack } from '../support/stack';

let stack: TestStack;
let api: string;

// One test sends a command that its workflow rejects asynchronously, which the workflow logs.
expectedTemporalWarnings.pattern = /signal rejected/;

beforeAll(async () => {
  stack = await startTestStack();
  api = stack.apiUrl;
});

afterAll(async () => {
  await stack?.stop();
});

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

function orderBody(orderId = unique('order'), customerId = unique('cust'), extra: Record<string, unknown> = {}) {
  return {
    orderId,
    customerId,
    items: [
      { productId: 'prod-1', quantity: 2, price: 29.99 },
      { productId: 'prod-2', quantity: 1, price: 49.99 },
    ],
    ...extra,
  };
}

const post = (path: string, json?: unknown, headers?: Record<string, string>) => call(api, 'POST', path, { json, headers });
const get = (path: string, headers?: Record<string, string>) => call(api, 'GET', path, { headers });

async function created(body = orderBody()) {
  const reply = await post('/orders', body);
  expect(reply.status).toBe(201);
  return reply.body;
}

/** Waits until the read model shows the order at `version`. */
async function readModelAt(orderId: string, version: number) {
  const reply = await get(`/orders/${orderId}?minVersion=${version}`);
  expect(reply.status).toBe(200);
  expect(reply.body.version).toBe(version);
  return reply.body;
}

describe('POST /orders', () => {
  it('answers after the order is in every read model: a read right after the 201 finds it', async () => {
    const body = orderBody();
    expect((await post('/orders', body)).status).toBe(201);
    // No minVersion: the answer itself waited for the append.
    const [byId, byCustomer, stats] = await Promise.all([
      get(`/orders/${body.orderId}`),
      get(`/customers/${body.customerId}/orders`),
      get(`/analytics/recent-orders?limit=100`),
    ]);
    expect(byId.body).toMatchObject({ orderId: body.orderId, version: 1, status: 'PENDING' });
    expect(byCustomer.body.orders.map((order: { orderId: string }) => order.orderId)).toEqual([body.orderId]);
    expect(stats.body.orders.map((order: { orderId: string }) => order.orderId)).toContain(body.orderId);
    expect((await post(`/orders/${body.orderId}/status`, { status: 'CONFIRMED' })).status).toBe(200);
    expect((await get(`/orders/${body.orderId}`)).body).toMatchObject({ version: 2, status: 'CONFIRMED' });
  });

  it('answers 201 with the write model, its exact total and a Location', async () => {
    const body = orderBody();
    const reply = await post('/orders', body);
    expect(reply.status).toBe(201);
    expect(reply.headers.get('location')).toBe(`/orders/${body.orderId}`);
    expect(reply.body).toEqual({
      orderId: body.orderId,
      customerId: body.customerId,
      customerName: `Customer-${body.customerId}`,
      items: body.items,
      itemCount: 2,
      total: 109.97,
      status: 'PENDING',
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      updatedAt: reply.body.createdAt,
      version: 1,
    });
  });

  it('answers 400 VALIDATION_FAILED naming the field', async () => {
    const reply = await post('/orders', orderBody(undefined, undefined, { items: [{ productId: 'p', quantity: 0, price: 1 }] }));
    expectProblem(reply, 400, 'VALIDATION_FAILED');
    expect(reply.body.detail).toContain('items[0].quantity');
    expect(reply.body.errors).toEqual([{ field: 'items[0].quantity', message: 'must be a positive integer' }]);
  });

  it('answers 400 for malformed JSON and 415 for a body that is not JSON', async () => {
    expectProblem(await call(api, 'POST', '/orders', { raw: '{"orderId": ', headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_FAILED');
    expectProblem(
      await call(api, 'POST', '/orders', { raw: 'orderId=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('answers 413 PAYLOAD_TOO_LARGE for a body over the limit', async () => {
    const huge = JSON.stringify(orderBody(undefined, undefined, { customerName: 'x'.repeat(LIMITS.maxBodyBytes) }));
    expectProblem(await call(api, 'POST', '/orders', { raw: huge, headers: { 'content-type': 'application/json' } }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers 409 ORDER_ALREADY_EXISTS for a second create of the same orderId', async () => {
    const body = orderBody();
    await created(body);
    expectProblem(await post('/orders', body), 409, 'ORDER_ALREADY_EXISTS');
  });

  it('answers 409 even once the first order has finished', async () => {
    const body = orderBody();
    await created(body);
    await post(`/orders/${body.orderId}/cancel`, { reason: 'test' });
    expectProblem(await post('/orders', body), 409, 'ORDER_ALREADY_EXISTS');
  });

  it('returns the first result for a repeated Idempotency-Key and records nothing new', async () => {
    const body = orderBody();
    const key = randomUUID();
    const first = await post('/orders', body, { 'Idempotency-Key': key });
    const second = await post('/orders', body, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect((await readModelAt(body.orderId, 1)).version).toBe(1);
  });

  it('uses the name a customer last gave when a new order has none', async () => {
    const customerId = unique('named');
    const first = await created(orderBody(undefined, customerId, { customerName: 'Grace Hopper' }));
    await readModelAt(first.orderId, 1);
    const second = await created(orderBody(undefined, customerId));
    expect(second.customerName).toBe('Grace Hopper');
  });

  it('with Prefer: respond-async answers 202 and applies the command', async () => {
    const body = orderBody();
    const reply = await post('/orders', body, { Prefer: 'respond-async' });
    expect(reply.status).toBe(202);
    expect(reply.headers.get('preference-applied')).toBe('respond-async');
    expect(reply.body).toEqual({ commandId: expect.any(String), orderId: body.orderId });
    expect((await readModelAt(body.orderId, 1)).status).toBe('PENDING');
    const outcome = await get(reply.headers.get('location')!);
    expect(outcome.body).toMatchObject({ accepted: true, version: 1 });
  });
});

describe('POST /orders/:orderId/status', () => {
  it('answers 200 with the order after an allowed transition', async () => {
    const order = await created();
    const reply = await post(`/orders/${order.orderId}/status`, { status: 'CONFIRMED' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ orderId: order.orderId, status: 'CONFIRMED', version: 2, total: 109.97 });
  });

  it('answers 409 INVALID_TRANSITION for a forbidden one', async () => {
    const order = await created();
    const reply = await post(`/orders/${order.orderId}/status`, { status: 'DELIVERED' });
    expectProblem(reply, 409, 'INVALID_TRANSITION');
    expect(reply.body.detail).toContain('PENDING to DELIVERED');
  });

  it('answers 404 ORDER_NOT_FOUND for an unknown order', async () => {
    expectProblem(await post(`/orders/${unique('ghost')}/status`, { status: 'CONFIRMED' }), 404, 'ORDER_NOT_FOUND');
  });

  it('answers 400 for an unknown status or a bad order id', async () => {
    const order = await created();
    expectProblem(await post(`/orders/${order.orderId}/status`, { status: 'LOST' }), 400, 'VALIDATION_FAILED');
    expectProblem(await post(`/orders/${encodeURIComponent("x' OR '1'='1")}/status`, { status: 'CONFIRMED' }), 400, 'VALIDATION_FAILED');
  });

  it('answers 409 INVALID_TRANSITION once the order is finished, and a strong read still answers', async () => {
    const order = await created();
    for (const status of ['CONFIRMED', 'SHIPPED', 'DELIVERED']) expect((await post(`/orders/${order.orderId}/status`, { status })).status).toBe(200);
    await readModelAt(order.orderId, 4);
    expectProblem(await post(`/orders/${order.orderId}/status`, { status: 'CANCELLED' }), 409, 'INVALID_TRANSITION');
    expectProblem(await post(`/orders/${order.orderId}/cancel`, { reason: 'late' }), 409, 'INVALID_TRANSITION');
    const strong = await get(`/orders/${order.orderId}?consistency=strong`);
    expect(strong.status).toBe(200);
    expect(strong.body).toMatchObject({ status: 'DELIVERED', version: 4, items: order.items });
  });

  it('with Prefer: respond-async answers 202; a rejected signal is reported under its command', async () => {
    const order = await created();
    const reply = await post(`/orders/${order.orderId}/status`, { status: 'SHIPPED' }, { Prefer: 'respond-async' });
    expect(reply.status).toBe(202);
    const outcome = await eventually(async () => {
      const r = await get(`/orders/${order.orderId}/commands/${reply.body.commandId}`);
      return r.status === 200 ? r.body : undefined;
    });
    expect(outcome).toMatchObject({ accepted: false, code: 'INVALID_TRANSITION' });
    expect((await get(`/orders/${order.orderId}?consistency=strong`)).body).toMatchObject({ status: 'PENDING', version: 1 });
  });

  it('records a status change to CANCELLED as a cancellation', async () => {
    const order = await created();
    const reply = await post(`/orders/${order.orderId}/status`, { status: 'CANCELLED', reason: 'duplicate order' });
    expect(reply.body).toMatchObject({ status: 'CANCELLED', version: 2 });
  });
});

describe('POST /orders/:orderId/cancel', () => {
  it('answers 200 and cancels a pending or confirmed order', async () => {
    const order = await created();
    await post(`/orders/${order.orderId}/status`, { status: 'CONFIRMED' });
    const reply = await post(`/orders/${order.orderId}/cancel`, { reason: 'Customer requested cancellation' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ status: 'CANCELLED', version: 3 });
  });

  it('answers 409 for a shipped order, 404 for an unknown one, 400 without a reason', async () => {
    const order = await created();
    await post(`/orders/${order.orderId}/status`, { status: 'CONFIRMED' });
    await post(`/orders/${order.orderId}/status`, { status: 'SHIPPED' });
    expectProblem(await post(`/orders/${order.orderId}/cancel`, { reason: 'too late' }), 409, 'INVALID_TRANSITION');
    expectProblem(await post(`/orders/${unique('ghost')}/cancel`, { reason: 'x' }), 404, 'ORDER_NOT_FOUND');
    expectProblem(await post(`/orders/${order.orderId}/cancel`, {}), 400, 'VALIDATION_FAILED');
  });

  it('applies a repeated Idempotency-Key once', async () => {
    const order = await created();
    const key = randomUUID();
    const first = await post(`/orders/${order.orderId}/cancel`, { reason: 'once' }, { 'Idempotency-Key': key });
    const again = await post(`/orders/${order.orderId}/cancel`, { reason: 'once' }, { 'Idempotency-Key': key });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
  });
});

describe('GET /orders/:orderId', () => {
  it('answers the order view from the read model', async () => {
    const order = await created();
    const view = await readModelAt(order.orderId, 1);
    expect(view).toEqual({
      orderId: order.orderId,
      customerId: order.customerId,
      customerName: order.customerName,
      itemCount: 2,
      total: 109.97,
      status: 'PENDING',
      createdAt: order.createdAt,
      updatedAt: order.updatedAt,
      version: 1,
    });
  });

  it('with ?minVersion= waits for the read model to reach that version', async () => {
    const order = await created();
    const change = await post(`/orders/${order.orderId}/status`, { status: 'CONFIRMED' });
    const reply = await get(`/orders/${order.orderId}?minVersion=${change.body.version}`);
    expect(reply.body).toMatchObject({ status: 'CONFIRMED', version: 2 });
    expect(reply.headers.get('x-read-model-version-reached')).toBe('true');
  });

  it('with ?minVersion= beyond any version waits a bounded time and says so', async () => {
    const order = await created();
    await readModelAt(order.orderId, 1);
    const reply = await get(`/orders/${order.orderId}?minVersion=99`);
    expect(reply.status).toBe(200);
    expect(reply.body.version).toBe(1);
    expect(reply.headers.get('x-read-model-version-reached')).toBe('false');
  });

  it('with ?consistency=strong reads the workflow, before the read model has caught up', async () => {
    const order = await created();
    const reply = await get(`/orders/${order.orderId}?consistency=strong`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ orderId: order.orderId, version: 1 });
  });

  it('answers 404 ORDER_NOT_FOUND for an unknown order, on either read', async () => {
    expectProblem(await get(`/orders/${unique('ghost')}`), 404, 'ORDER_NOT_FOUND');
    expectProblem(await get(`/orders/${unique('ghost')}?consistency=strong`), 404, 'ORDER_NOT_FOUND');
  });

  it('answers 400 for bad query parameters', async () => {
    expectProblem(await get(`/orders/x?minVersion=-1`), 400, 'VALIDATION_FAILED');
    expectProblem(await get(`/orders/x?consistency=maybe`), 400, 'VALIDATION_FAILED');
  });
});

describe('GET /orders and GET /customers/:customerId/orders', () => {
  const customerId = unique('lister');
  const orderIds: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 5; i += 1) {
      const order = await created(orderBody(`${customerId}-o${i}`, customerId));
      orderIds.push(order.orderId);
    }
    await post(`/orders/${orderIds[0]}/status`, { status: 'CONFIRMED' });
    await post(`/orders/${orderIds[1]}/cancel`, { reason: 'no' });
    await readModelAt(orderIds[0], 2);
    await readModelAt(orderIds[1], 2);
    for (const id of orderIds.slice(2)) await readModelAt(id, 1);
  });

  it("lists a customer's orders", async () => {
    const reply = await get(`/customers/${customerId}/orders`);
    expect(reply.status).toBe(200);
    expect(reply.body.orders.map((order: { orderId: string }) => order.orderId)).toEqual(orderIds);
    expect(reply.body.nextCursor).toBeNull();
    expect((await get(`/orders?customerId=${customerId}`)).body).toEqual(reply.body);
  });

  it('pages with a cursor, each order exactly once', async () => {
    const seen: string[] = [];
    let path = `/customers/${customerId}/orders?limit=2`;
    for (let page = 0; page < 5; page += 1) {
      const reply = await get(path);
      seen.push(...reply.body.orders.map((order: { orderId: string }) => order.orderId));
      if (!reply.body.nextCursor) break;
      path = `/customers/${customerId}/orders?limit=2&cursor=${reply.body.nextCursor}`;
    }
    expect(seen).toEqual(orderIds);
  });

  it('filters by status', async () => {
    const confirmed = await get(`/orders?status=CONFIRMED&customerId=${customerId}`);
    expect(confirmed.body.orders.map((order: { orderId: string }) => order.orderId)).toEqual([orderIds[0]]);
    const cancelled = await get(`/orders?status=CANCELLED&limit=200`);
    expect(cancelled.body.orders.map((order: { orderId: string }) => order.orderId)).toContain(orderIds[1]);
    expect(cancelled.body.orders.every((order: { status: string }) => order.status === 'CANCELLED')).toBe(true);
  });

  it('answers 400 for a bad status, limit or cursor', async () => {
    expectProblem(await get('/orders?status=LOST'), 400, 'VALIDATION_FAILED');
    expectProblem(await get('/orders?limit=0'), 400, 'VALIDATION_FAILED');
    expectProblem(await get('/orders?limit=100000'), 400, 'VALIDATION_FAILED');
    expectProblem(await get('/orders?cursor=not-a-cursor'), 400, 'VALIDATION_FAILED');
    expectProblem(await get('/customers/a%2Fb/orders'), 400, 'VALIDATION_FAILED');
  });
});

describe('GET /stats/orders', () => {
  it('answers statistics for the last 30 days by default', async () => {
    const reply = await get('/stats/orders');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      from: expect.any(String),
      to: expect.any(String),
      totalOrders: expect.any(Number),
      totalRevenue: expect.any(Number),
      netRevenue: expect.any(Number),
      averageOrderValue: expect.any(Number),
      ordersByStatus: {
        PENDING: expect.any(Number),
        CONFIRMED: expect.any(Number),
        SHIPPED: expect.any(Number),
        DELIVERED: expect.any(Number),
        CANCELLED: expect.any(Number),
      },
    });
    expect(Date.parse(reply.body.to) - Date.parse(reply.body.from)).toBe(30 * 24 * 3600 * 1000);
  });

  it('counts a new order in a range around now, with exact revenue', async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    const before = (await get(`/stats/orders?from=${from}&to=2299-01-01`)).body;
    const order = await created(orderBody(undefined, undefined, { items: [{ productId: 'p', quantity: 3, price: 0.1 }] }));
    await readModelAt(order.orderId, 1);
    const after = (await get(`/stats/orders?from=${from}&to=2299-01-01`)).body;
    expect(after.totalOrders).toBe(before.totalOrders + 1);
    expect(Math.round((after.totalRevenue - before.totalRevenue) * 100)).toBe(30);
    expect(after.ordersByStatus.PENDING).toBe(before.ordersByStatus.PENDING + 1);
  });

  it('answers 400 for impossible dates and reversed ranges', async () => {
    expectProblem(await get('/stats/orders?from=2026-02-30'), 400, 'VALIDATION_FAILED');
    expectProblem(await get('/stats/orders?from=yesterday'), 400, 'VALIDATION_FAILED');
    expectProblem(await get('/stats/orders?from=2026-06-01&to=2026-05-01'), 400, 'VALIDATION_FAILED');
  });
});

describe("the past: an order's events, the order and the statistics as of a past instant", () => {
  const pause = () => new Promise((resolve) => setTimeout(resolve, 30));
  let orderId: string;
  let events: Array<{ type: string; version: number; occurredAt: string; commandId: string; correlationId: string; data: Record<string, unknown> }>;

  beforeAll(async () => {
    orderId = (await created()).orderId;
    // Apart in time, so that an instant between two events exists.
    await pause();
    expect((await post(`/orders/${orderId}/status`, { status: 'CONFIRMED' }, { 'idempotency-key': `${orderId}-confirm` })).status).toBe(200);
    await pause();
    expect((await post(`/orders/${orderId}/cancel`, { reason: 'found it cheaper' }, { 'x-correlation-id': `${orderId}-corr` })).status).toBe(200);
    events = (await get(`/orders/${orderId}/events`)).body.events;
  });

  it("GET /orders/:orderId/events answers the order's events from the event log, in version order", async () => {
    expect(events.map(({ type, version }) => [type, version])).toEqual([
      ['OrderCreated', 1],
      ['OrderStatusChanged', 2],
      ['OrderCancelled', 3],
    ]);
    expect(events[0].data).toMatchObject({ total: 109.97, items: [{ productId: 'prod-1', quantity: 2, price: 29.99 }, expect.any(Object)] });
    expect(events[1]).toMatchObject({ commandId: `${orderId}-confirm`, data: { oldStatus: 'PENDING', newStatus: 'CONFIRMED' } });
    expect(events[2]).toMatchObject({ correlationId: `${orderId}-corr`, data: { previousStatus: 'CONFIRMED', reason: 'found it cheaper' } });
    expect(Date.parse(events[1].occurredAt)).toBeLessThan(Date.parse(events[2].occurredAt));
  });

  it('pages the events with the cursor it issued', async () => {
    const first = await get(`/orders/${orderId}/events?limit=2`);
    expect(first.body.events).toHaveLength(2);
    const second = await get(`/orders/${orderId}/events?limit=2&cursor=${first.body.nextCursor}`);
    expect([second.body.events.map((event: { version: number }) => event.version), second.body.nextCursor]).toEqual([[3], null]);
  });

  it('GET /orders/:orderId?asOf= answers the order as it stood then, folded from its events', async () => {
    const justBeforeCancel = new Date(Date.parse(events[2].occurredAt) - 1).toISOString();
    const then = await get(`/orders/${orderId}?asOf=${justBeforeCancel}`);
    expect(then.status).toBe(200);
    expect(then.body).toMatchObject({ orderId, status: 'CONFIRMED', version: 2, total: 109.97, itemCount: 2, updatedAt: events[1].occurredAt });
    expect((await get(`/orders/${orderId}?asOf=${events[2].occurredAt}`)).body).toMatchObject({ status: 'CANCELLED', version: 3 });
  });

  it('GET /stats/orders and /analytics/revenue with asOf count a later cancellation as not cancelled', async () => {
    const createdAt = Date.parse(events[0].occurredAt);
    const range = `from=${new Date(createdAt).toISOString()}&to=${new Date(createdAt + 1).toISOString()}`;
    const asOf = new Date(Date.parse(events[2].occurredAt) - 1).toISOString();
    const then = await get(`/stats/orders?${range}&asOf=${asOf}`);
    expect(then.body).toMatchObject({ asOf, totalOrders: 1, netRevenue: 109.97, ordersByStatus: { CONFIRMED: 1, CANCELLED: 0 } });
    await readModelAt(orderId, 3);
    expect((await get(`/stats/orders?${range}`)).body).toMatchObject({ totalOrders: 1, netRevenue: 0, ordersByStatus: { CANCELLED: 1 } });
    const revenue = await get(`/analytics/revenue?${range}&granularity=hour&asOf=${asOf}`);
    expect(revenue.body.buckets).toEqual([expect.objectContaining({ orders: 1, cancelledOrders: 0, netRevenue: 109.97 })]);
  });

  it('answers 404 before the order existed and for an unknown order, 400 for a future or malformed instant and a foreign cursor', async () => {
    const beforeIt = new Date(Date.parse(events[0].occurredAt) - 1).toISOString();
    expectProblem(await get(`/orders/${orderId}?asOf=${beforeIt}`), 404, 'ORDER_NOT_FOUND');
    expectProblem(await get(`/orders/${orderId}/events?asOf=${beforeIt}`), 404, 'ORDER_NOT_FOUND');
    expectProblem(await get(`/orders/${unique('none')}/events`), 404, 'ORDER_NOT_FOUND');
    const future = new Date(Date.now() + 3_600_000).toISOString();
    for (const path of [`/orders/${orderId}?asOf=${future}`, `/stats/orders?asOf=${future}`, `/orders/${orderId}?asOf=last-week`]) {
      const reply = await get(path);
      expectProblem(reply, 400, 'VALIDATION_FAILED');
      expect(reply.body.errors.map((error: { field: string }) => error.field)).toEqual(['asOf']);
    }
    const other = (await created()).orderId;
    await post(`/orders/${other}/status`, { status: 'CONFIRMED' });
    const othersCursor = (await get(`/orders/${other}/events?limit=1`)).body.nextCursor;
    expect(typeof othersCursor).toBe('string');
    const foreign = await get(`/orders/${orderId}/events?cursor=${othersCursor}`);
    expectProblem(foreign, 400, 'VALIDATION_FAILED');
    expect(foreign.body.errors).toEqual([{ field: 'cursor', message: 'is not a cursor this API issued for this order' }]);
  });
});

describe('the rest of the contract', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { temporal: 'ok', temporalSetup: 'ok', clickhouse: 'ok', worker: 'ok' } });
  });

  it('answers unknown routes 404 and wrong methods 405 in problem+json', async () => {
    expectProblem(await get('/no/such/route'), 404, 'NOT_FOUND');
    expectProblem(await call(api, 'DELETE', '/orders'), 405, 'METHOD_NOT_ALLOWED');
  });

  it('echoes a request id on every answer', async () => {
    const reply = await get('/healthz', { 'X-Request-Id': 'trace-me-123' });
    expect(reply.headers.get('x-request-id')).toBe('trace-me-123');
    expect((await get('/nope')).body.requestId).toEqual(expect.any(String));
  });
});

describe('GET /metrics', () => {
  /** The value of one sample of the page, 0 when absent. */
  const sample = (page: string, name: string, labels: Record<string, string> = {}) => {
    const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
    const line = page
      .split('\n')
      .find((text) => (text.startsWith(`${name}{`) || text.startsWith(`${name} `) ? wanted.every((label) => text.includes(label)) : false));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };

  it('counts requests by route pattern, commands by outcome, and events appended with their lag', async () => {
    const before = (await get('/metrics')).body as string;
    const order = await created(orderBody());
    expectProblem(await post(`/orders/${order.orderId}/status`, { status: 'DELIVERED' }), 409, 'INVALID_TRANSITION');
    await readModelAt(order.orderId, 1);
    // The append's metrics are counted as its insert returns, a moment after the read model shows it.
    const appended = (text: string) => sample(text, 'orders_projection_lag_seconds_count') - sample(before, 'orders_projection_lag_seconds_count');
    const reply = await eventually(
      async () => {
        const scraped = await get('/metrics');
        return appended(scraped.body as string) >= 1 ? scraped : undefined;
      },
      10_000,
      'the append to be counted',
    );
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const page = reply.body as string;
    const delta = (name: string, labels: Record<string, string> = {}) => sample(page, name, labels) - sample(before, name, labels);
    expect(delta('orders_http_requests_total', { method: 'POST', route: '/orders', status: '201' })).toBe(1);
    expect(delta('orders_commands_total', { type: 'CreateOrder', outcome: 'accepted' })).toBe(1);
    expect(delta('orders_commands_total', { type: 'ChangeOrderStatus', outcome: 'rejected', reason: 'INVALID_TRANSITION' })).toBe(1);
    expect(delta('orders_events_appended_total')).toBeGreaterThanOrEqual(1);
    expect(delta('orders_projection_lag_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(page, 'orders_event_append_batch_rows_count')).toBeGreaterThanOrEqual(1);
    // Ids never become labels.
    expect(page).not.toContain(order.orderId);
  });

  it('needs a key, as every route but the health checks does', async () => {
    expect((await get('/metrics', { authorization: 'Bearer nope-nope-nope-nope' })).status).toBe(401);
  });
});
