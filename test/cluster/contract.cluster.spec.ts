/**
 * The HTTP contract's rows that go through Temporal, end to end on a real Temporal cluster, with the
 * service scaled out as the README runs it: two API processes and two workers. Each order's
 * commands and reads alternate between the two APIs, as requests behind a load balancer do, so every
 * answer also shows that no API keeps a state the other lacks.
 */
import { randomUUID } from 'node:crypto';
import { call, expectProblem } from '../support/http';
import { OrdersOnCluster, startOrdersOnCluster } from '../support/ordersOnCluster';
import { eventually } from '../support/stack';

let cluster: OrdersOnCluster;
let a: string;
let b: string;

beforeAll(async () => {
  cluster = await startOrdersOnCluster();
  const [apiA, apiB] = [await cluster.launch('api'), await cluster.launch('api')];
  await cluster.launch('worker');
  await cluster.launch('worker');
  [a, b] = [cluster.apiUrlOf(apiA), cluster.apiUrlOf(apiB)];
  await cluster.ready();
}, 240_000);

afterAll(async () => {
  await cluster?.stop();
});

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const post = (api: string, path: string, json?: unknown, headers?: Record<string, string>) => call(api, 'POST', path, { json, headers });
const get = (api: string, path: string) => call(api, 'GET', path);

function orderBody(customerId = unique('cust')) {
  return {
    orderId: unique('order'),
    customerId,
    items: [
      { productId: 'prod-1', quantity: 2, price: 29.99 },
      { productId: 'prod-2', quantity: 1, price: 49.99 },
    ],
  };
}

/** The order's events in the log, as [version, type]. */
async function eventTypes(orderId: string): Promise<Array<[number, string]>> {
  const rows = await cluster.queryLog<{ version: number; event_type: string }>(
    'SELECT version, event_type FROM orders.order_events FINAL WHERE order_id = {id:String} ORDER BY version',
    { id: orderId },
  );
  return rows.map((row) => [Number(row.version), row.event_type]);
}

async function created(api: string, body = orderBody()) {
  const reply = await post(api, '/orders', body);
  expect(reply.status).toBe(201);
  return reply.body;
}

describe('commands', () => {
  it('creates an order through one API, and the other reads it at once with its exact total', async () => {
    const body = orderBody();
    const reply = await post(a, '/orders', body);
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ orderId: body.orderId, status: 'PENDING', total: 109.97, itemCount: 2, version: 1 });
    // The answer waited for the append: the read model already shows it, through either API.
    expect((await get(b, `/orders/${body.orderId}`)).body).toMatchObject({ status: 'PENDING', total: 109.97, version: 1 });
  });

  it('refuses a second create of the same orderId through the other API', async () => {
    const body = await created(a);
    expectProblem(await post(b, '/orders', { ...orderBody(), orderId: body.orderId }), 409, 'ORDER_ALREADY_EXISTS');
  });

  it('answers a repeated Idempotency-Key with the first answer through either API, recording nothing new', async () => {
    const body = orderBody();
    const key = randomUUID();
    const first = await post(a, '/orders', body, { 'Idempotency-Key': key });
    const again = await post(b, '/orders', body, { 'Idempotency-Key': key });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const confirm = randomUUID();
    const confirmed = await post(b, `/orders/${body.orderId}/status`, { status: 'CONFIRMED' }, { 'Idempotency-Key': confirm });
    expect((await post(a, `/orders/${body.orderId}/status`, { status: 'CONFIRMED' }, { 'Idempotency-Key': confirm })).body).toEqual(confirmed.body);
    expect((await get(a, `/orders/${body.orderId}?consistency=strong`)).body).toMatchObject({ status: 'CONFIRMED', version: 2 });
  });

  it('walks an order through its states with each command on the other API, refusing what the rules forbid', async () => {
    const order = await created(a);
    const path = `/orders/${order.orderId}`;
    expect((await post(b, `${path}/status`, { status: 'CONFIRMED' })).body).toMatchObject({ status: 'CONFIRMED', version: 2 });
    expect((await post(a, `${path}/status`, { status: 'SHIPPED' })).body).toMatchObject({ status: 'SHIPPED', version: 3 });
    expectProblem(await post(b, `${path}/cancel`, { reason: 'too late' }), 409, 'INVALID_TRANSITION');
    expect((await post(a, `${path}/status`, { status: 'DELIVERED' })).body).toMatchObject({ status: 'DELIVERED', version: 4 });
    // Finished: its workflow has completed, yet commands are still refused by the rules and reads answer.
    await eventually(async () => ((await get(b, `${path}?minVersion=4`)).body.version === 4 ? true : undefined), 10_000, 'version 4');
    expectProblem(await post(b, `${path}/status`, { status: 'CANCELLED' }), 409, 'INVALID_TRANSITION');
    expect((await get(a, `${path}?consistency=strong`)).body).toMatchObject({ status: 'DELIVERED', version: 4, items: order.items });
    expect(await eventTypes(order.orderId)).toEqual([
      [1, 'OrderCreated'],
      [2, 'OrderStatusChanged'],
      [3, 'OrderStatusChanged'],
      [4, 'OrderStatusChanged'],
    ]);
  });

  it('cancels a confirmed order, and records a status change to CANCELLED as a cancellation', async () => {
    const first = await created(b);
    await post(a, `/orders/${first.orderId}/status`, { status: 'CONFIRMED' });
    expect((await post(b, `/orders/${first.orderId}/cancel`, { reason: 'Customer requested cancellation' })).body).toMatchObject({
      status: 'CANCELLED',
      version: 3,
    });
    const second = await created(a);
    expect((await post(b, `/orders/${second.orderId}/status`, { status: 'CANCELLED', reason: 'duplicate' })).body).toMatchObject({
      status: 'CANCELLED',
      version: 2,
    });
    expect((await eventTypes(second.orderId)).at(-1)).toEqual([2, 'OrderCancelled']);
  });

  it('answers 404 ORDER_NOT_FOUND for commands to an order that does not exist', async () => {
    expectProblem(await post(a, `/orders/${unique('ghost')}/status`, { status: 'CONFIRMED' }), 404, 'ORDER_NOT_FOUND');
    expectProblem(await post(b, `/orders/${unique('ghost')}/cancel`, { reason: 'x' }), 404, 'ORDER_NOT_FOUND');
  });

  it('with Prefer: respond-async answers 202, and the other API reports what became of the command', async () => {
    const body = orderBody();
    const reply = await post(a, '/orders', body, { Prefer: 'respond-async' });
    expect(reply.status).toBe(202);
    const outcome = await eventually(async () => {
      const answer = await get(b, reply.headers.get('location')!);
      return answer.status === 200 ? answer.body : undefined;
    });
    expect(outcome).toMatchObject({ accepted: true, version: 1 });
    const rejected = await post(b, `/orders/${body.orderId}/status`, { status: 'DELIVERED' }, { Prefer: 'respond-async' });
    const rejection = await eventually(async () => {
      const answer = await get(a, `/orders/${body.orderId}/commands/${rejected.body.commandId}`);
      return answer.status === 200 ? answer.body : undefined;
    });
    expect(rejection).toMatchObject({ accepted: false, code: 'INVALID_TRANSITION' });
  });
});

describe('queries', () => {
  it('lists, pages and counts orders written through both APIs', async () => {
    const customerId = unique('shared');
    const orders = [];
    for (const api of [a, b, a, b]) orders.push(await created(api, orderBody(customerId)));
    await post(b, `/orders/${orders[0].orderId}/status`, { status: 'CONFIRMED' });
    const page = (await get(a, `/customers/${customerId}/orders?limit=3`)).body;
    const rest = (await get(b, `/customers/${customerId}/orders?limit=3&cursor=${encodeURIComponent(page.nextCursor)}`)).body;
    expect([...page.orders, ...rest.orders].map((order: { orderId: string }) => order.orderId).sort()).toEqual(orders.map((order) => order.orderId).sort());
    const confirmed = (await get(b, `/orders?status=CONFIRMED&customerId=${customerId}`)).body.orders;
    expect(confirmed.map((order: { orderId: string }) => order.orderId)).toEqual([orders[0].orderId]);
    const from = orders[0].createdAt;
    const to = new Date(Date.parse(orders[3].createdAt) + 1).toISOString();
    const stats = (await get(a, `/stats/orders?from=${from}&to=${to}`)).body;
    expect(stats.totalOrders).toBeGreaterThanOrEqual(4);
    expect(stats.ordersByStatus.CONFIRMED).toBeGreaterThanOrEqual(1);
  });

  it('reads the write model with ?consistency=strong and waits with ?minVersion= through either API', async () => {
    const order = await created(b);
    const confirmed = await post(a, `/orders/${order.orderId}/status`, { status: 'CONFIRMED' });
    expect((await get(b, `/orders/${order.orderId}?minVersion=${confirmed.body.version}`)).body).toMatchObject({ status: 'CONFIRMED', version: 2 });
    expect((await get(b, `/orders/${order.orderId}?consistency=strong`)).body).toMatchObject({ status: 'CONFIRMED', version: 2, items: order.items });
    expectProblem(await get(a, `/orders/${unique('ghost')}?consistency=strong`), 404, 'ORDER_NOT_FOUND');
  });

  it('holds each event of orders whose commands alternated between the APIs exactly once in the log', async () => {
    const order = await created(a);
    for (const [api, status] of [
      [b, 'CONFIRMED'],
      [a, 'SHIPPED'],
      [b, 'DELIVERED'],
    ])
      expect((await post(api, `/orders/${order.orderId}/status`, { status })).status).toBe(200);
    // A finished order's workflow completes once its events are written, by a receipt or its own delivery.
    const { client, close } = await cluster.temporalClient();
    try {
      const handle = client.workflow.getHandle(`order-${order.orderId}`);
      await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined), 30_000, 'the workflow to complete');
    } finally {
      await close();
    }
    const rows = await cluster.queryLog<{ version: number; copies: number }>(
      'SELECT version, count() AS copies FROM orders.order_events FINAL WHERE order_id = {id:String} GROUP BY version ORDER BY version',
      { id: order.orderId },
    );
    expect(rows.map((row) => [Number(row.version), Number(row.copies)])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
  });
});
