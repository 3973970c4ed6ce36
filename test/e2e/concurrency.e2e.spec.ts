/**
 * Many commands at once on one order, and idempotency keys replayed every way: one winner, the
 * rest refused with 409, no gap and no double in the event log, even across a restart.
 */
import { randomUUID } from 'node:crypto';
import { call } from '../support/http';
import { startTestStack, TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

const post = (route: string, json: unknown, headers: Record<string, string> = {}) => call(stack.apiUrl, 'POST', route, { json, headers });
const order = (orderId: string) => ({ orderId, customerId: 'race-customer', items: [{ productId: 'p', quantity: 1, price: 10 }] });

/** The event log of one order, each (order, version) once, in version order. */
async function loggedEvents(orderId: string): Promise<Array<{ version: number; event_type: string }>> {
  const result = await stack.ch.client.query({
    query: `SELECT version, event_type, count() AS copies FROM ${stack.ch.database}.order_events WHERE order_id = {orderId:String} GROUP BY version, event_type ORDER BY version`,
    query_params: { orderId },
    format: 'JSONEachRow',
  });
  return (await result.json<{ version: number; event_type: string }>()).map(({ version, event_type }) => ({ version: Number(version), event_type }));
}

async function settledVersion(orderId: string, version: number) {
  const reply = await call(stack.apiUrl, 'GET', `/orders/${orderId}?minVersion=${version}`);
  expect(reply.body.version).toBe(version);
  return reply.body;
}

describe('when 50 ships and 50 cancels race on one confirmed order', () => {
  it('exactly one wins, every other answers 409, and the log has no gap', async () => {
    const orderId = `race-${randomUUID().slice(0, 8)}`;
    expect((await post('/orders', order(orderId))).status).toBe(201);
    expect((await post(`/orders/${orderId}/status`, { status: 'CONFIRMED' })).status).toBe(200);
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        i % 2 === 0 ? post(`/orders/${orderId}/status`, { status: 'SHIPPED' }) : post(`/orders/${orderId}/cancel`, { reason: `racer ${i}` }),
      ),
    );
    const winners = replies.filter((reply) => reply.status === 200);
    expect(winners).toHaveLength(1);
    expect(replies.filter((reply) => reply.status === 409 && reply.body.code === 'INVALID_TRANSITION')).toHaveLength(99);
    const final = await settledVersion(orderId, 3);
    expect(final.status).toBe(winners[0].body.status);
    expect((await loggedEvents(orderId)).map((event) => event.version)).toEqual([1, 2, 3]);
  });
});

describe('when 20 creates of one orderId race', () => {
  it('exactly one answers 201 and the others 409 ORDER_ALREADY_EXISTS', async () => {
    const orderId = `dup-${randomUUID().slice(0, 8)}`;
    const replies = await Promise.all(Array.from({ length: 20 }, () => post('/orders', order(orderId))));
    expect(replies.filter((reply) => reply.status === 201)).toHaveLength(1);
    expect(replies.filter((reply) => reply.status === 409 && reply.body.code === 'ORDER_ALREADY_EXISTS')).toHaveLength(19);
    await settledVersion(orderId, 1);
    expect(await loggedEvents(orderId)).toEqual([{ version: 1, event_type: 'OrderCreated' }]);
  });
});

describe('an Idempotency-Key', () => {
  it('replayed one after another and all at once emits one event, answering each time as the first', async () => {
    const orderId = `idem-${randomUUID().slice(0, 8)}`;
    const createKey = randomUUID();
    const first = await post('/orders', order(orderId), { 'Idempotency-Key': createKey });
    const again = await post('/orders', order(orderId), { 'Idempotency-Key': createKey });
    expect(again.body).toEqual(first.body);
    const confirmKey = randomUUID();
    const together = await Promise.all(
      Array.from({ length: 10 }, () => post(`/orders/${orderId}/status`, { status: 'CONFIRMED' }, { 'Idempotency-Key': confirmKey })),
    );
    expect(together.map((reply) => reply.status)).toEqual(Array(10).fill(200));
    expect(new Set(together.map((reply) => JSON.stringify(reply.body))).size).toBe(1);
    expect(together[0].body).toMatchObject({ status: 'CONFIRMED', version: 2 });
    await settledVersion(orderId, 2);
    expect((await loggedEvents(orderId)).map((event) => event.version)).toEqual([1, 2]);
  });

  it('replayed after a restart of the whole service still emits nothing new', async () => {
    const orderId = `restart-${randomUUID().slice(0, 8)}`;
    const key = randomUUID();
    await post('/orders', order(orderId));
    const first = await post(`/orders/${orderId}/cancel`, { reason: 'before restart' }, { 'Idempotency-Key': key });
    expect(first.status).toBe(200);
    await settledVersion(orderId, 2);

    const config = stack.config;
    await stack.stop(true);
    stack = await startTestStack({ config });
    const replay = await post(`/orders/${orderId}/cancel`, { reason: 'before restart' }, { 'Idempotency-Key': key });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    expect((await loggedEvents(orderId)).map((event) => event.version)).toEqual([1, 2]);
  });
});
