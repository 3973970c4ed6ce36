/**
 * Revenue and product analytics over their read models, checked against a recount from the event
 * log after a mix of creates and cancellations (one cancelled after it was counted), and the
 * analysts' read-only SQL with everything it must refuse.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { parse } from 'lossless-json';
import { call, expectProblem } from '../support/http';
import { eventually, startTestStack, TEST_KEYS, TestStack } from '../support/stack';

let stack: TestStack;
const run = randomUUID().slice(0, 6);
const product = (n: number) => `${run}-product-${n}`;
let from: string;
let to: string;

const post = (path: string, json: unknown) => call(stack.apiUrl, 'POST', path, { json });
const get = (path: string) => call(stack.apiUrl, 'GET', path);

async function order(n: number, lines: Array<[number, number, number]>): Promise<string> {
  const orderId = `${run}-order-${n}`;
  const reply = await post('/orders', {
    orderId,
    customerId: `${run}-customer-${n % 3}`,
    items: lines.map(([p, quantity, price]) => ({ productId: product(p), quantity, price })),
  });
  expect(reply.status).toBe(201);
  return orderId;
}

async function settle(orderId: string, version: number): Promise<void> {
  expect((await get(`/orders/${orderId}?minVersion=${version}`)).body.version).toBe(version);
}

/** Per order, from the event log alone: its latest status, total, creation time and lines. */
async function recount(): Promise<
  Array<{ orderId: string; status: string; totalCents: number; createdAt: string; items: Array<{ productId: string; quantity: number; price: number }> }>
> {
  const result = await stack.ch.client.query({
    query: `SELECT order_id, argMax(status, version) AS status, toString(any(total)) AS total, toString(any(created_at)) AS created_at,
              anyIf(payload, event_type = 'OrderCreated') AS created
            FROM ${stack.ch.database}.order_events WHERE startsWith(order_id, {run:String}) GROUP BY order_id`,
    query_params: { run },
    format: 'JSONEachRow',
  });
  return (await result.json<{ order_id: string; status: string; total: string; created_at: string; created: string }>()).map((row) => ({
    orderId: row.order_id,
    status: row.status,
    totalCents: Math.round(Number(row.total) * 100),
    createdAt: row.created_at,
    items: JSON.parse(row.created).items,
  }));
}

beforeAll(async () => {
  stack = await startTestStack();
  from = new Date(Date.now() - 3600_000).toISOString();
  const orders = [
    await order(1, [
      [1, 2, 10.5],
      [2, 1, 99.99],
    ]),
    await order(2, [[1, 1, 10.5]]),
    await order(3, [
      [3, 5, 0.3],
      [2, 2, 99.99],
    ]),
    await order(4, [[4, 1, 1000]]),
    await order(5, [
      [1, 3, 10.5],
      [4, 1, 1000],
    ]),
  ];
  // Order 3 is cancelled at once; order 5 once it was confirmed (and counted); 1 is shipped.
  expect((await post(`/orders/${orders[2]}/cancel`, { reason: 'changed mind' })).status).toBe(200);
  expect((await post(`/orders/${orders[4]}/status`, { status: 'CONFIRMED' })).status).toBe(200);
  await settle(orders[4], 2);
  expect((await post(`/orders/${orders[4]}/cancel`, { reason: 'out of stock' })).status).toBe(200);
  expect((await post(`/orders/${orders[0]}/status`, { status: 'CONFIRMED' })).status).toBe(200);
  expect((await post(`/orders/${orders[0]}/status`, { status: 'SHIPPED' })).status).toBe(200);
  for (const [orderId, version] of [
    [orders[0], 3],
    [orders[1], 1],
    [orders[2], 2],
    [orders[3], 1],
    [orders[4], 3],
  ] as const)
    await settle(orderId, version);
  to = new Date(Date.now() + 3600_000).toISOString();
});

afterAll(async () => {
  await stack?.stop();
});

describe('GET /analytics/revenue', () => {
  it.each(['hour', 'day', 'month'])('agrees with a recount from the event log, by %s', async (granularity) => {
    const reply = await get(`/analytics/revenue?from=${from}&to=${to}&granularity=${granularity}`);
    expect(reply.status).toBe(200);
    const counted = await recount();
    const expected = new Map<string, { orders: number; cancelledOrders: number; total: number; net: number }>();
    for (const entry of counted) {
      const at = new Date(`${entry.createdAt.replace(' ', 'T')}Z`);
      if (granularity === 'hour') at.setUTCMinutes(0, 0, 0);
      else at.setUTCHours(0, 0, 0, 0);
      if (granularity === 'month') at.setUTCDate(1);
      const bucket = expected.get(at.toISOString()) ?? { orders: 0, cancelledOrders: 0, total: 0, net: 0 };
      bucket.orders += 1;
      bucket.total += entry.totalCents;
      if (entry.status === 'CANCELLED') bucket.cancelledOrders += 1;
      else bucket.net += entry.totalCents;
      expected.set(at.toISOString(), bucket);
    }
    const answered = (reply.body.buckets as any[]).filter((bucket) => bucket.orders > 0);
    expect(
      answered.map((bucket) => ({
        start: bucket.start,
        orders: bucket.orders,
        cancelledOrders: bucket.cancelledOrders,
        total: Math.round(bucket.totalRevenue * 100),
        net: Math.round(bucket.netRevenue * 100),
      })),
    ).toEqual([...expected.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([start, bucket]) => ({ start, ...bucket })));
    // Every bucket of the range is there, empty ones included, in order.
    const starts = (reply.body.buckets as any[]).map((bucket) => bucket.start);
    expect([...starts].sort()).toEqual(starts);
    if (granularity === 'hour') expect(starts.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a range of too many buckets, and a granularity it does not know', async () => {
    expect((await get('/analytics/revenue?from=2020-01-01&to=2026-01-01&granularity=hour')).body.code).toBe('VALIDATION_FAILED');
    expect((await get('/analytics/revenue?granularity=week')).body.code).toBe('VALIDATION_FAILED');
  });
});

describe('GET /analytics/top-products', () => {
  it('agrees with a recount from the event log, leaving out cancelled orders', async () => {
    const reply = await get(`/analytics/top-products?from=${from}&to=${to}&limit=10`);
    expect(reply.status).toBe(200);
    const totals = new Map<string, { units: number; orders: Set<string>; cents: number }>();
    for (const entry of await recount()) {
      if (entry.status === 'CANCELLED') continue;
      for (const item of entry.items) {
        const total = totals.get(item.productId) ?? { units: 0, orders: new Set(), cents: 0 };
        total.units += item.quantity;
        total.orders.add(entry.orderId);
        total.cents += Math.round(item.price * 100) * item.quantity;
        totals.set(item.productId, total);
      }
    }
    const expected = [...totals.entries()]
      .map(([productId, total]) => ({ productId, units: total.units, orders: total.orders.size, cents: total.cents }))
      .sort((a, b) => b.cents - a.cents || a.productId.localeCompare(b.productId));
    expect(
      (reply.body.products as any[]).map((p) => ({ productId: p.productId, units: p.units, orders: p.orders, cents: Math.round(p.revenue * 100) })),
    ).toEqual(expected);
    // Order 5 was cancelled after it was confirmed: its product 4 no longer counts.
    expect(expected.find((p) => p.productId === product(4))).toEqual({ productId: product(4), units: 1, orders: 1, cents: 100_000 });
  });

  it('moves at once when an order that was counted is cancelled', async () => {
    const before = (await get(`/analytics/top-products?from=${from}&to=${to}`)).body.products as any[];
    // Order 2 (one unit of product 1) is still PENDING.
    const cancelled = `${run}-order-2`;
    expect((await post(`/orders/${cancelled}/cancel`, { reason: 'late' })).status).toBe(200);
    await settle(cancelled, 2);
    const after = (await get(`/analytics/top-products?from=${from}&to=${to}`)).body.products as any[];
    const units = (list: any[]) => list.find((p) => p.productId === product(1))?.units;
    expect(units(after)).toBe(units(before) - 1);
  });
});

describe('POST /analytics/sql', () => {
  const sql = (body: unknown, key: string = TEST_KEYS.admin) =>
    call(stack.apiUrl, 'POST', '/analytics/sql', { json: body, headers: { authorization: `Bearer ${key}` } });

  it('answers one SELECT with its columns, their types and the rows, binding parameters', async () => {
    const reply = await sql({
      sql: `SELECT status, count() AS orders FROM orders.orders_by_id FINAL WHERE startsWith(order_id, {run:String}) GROUP BY status ORDER BY status`,
      params: { run },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.columns).toEqual([
      { name: 'status', type: 'LowCardinality(String)' },
      { name: 'orders', type: 'UInt64' },
    ]);
    expect(reply.body.rows).toContainEqual({ status: 'CANCELLED', orders: expect.anything() });
    expect(reply.body.rowCount).toBe(reply.body.rows.length);
  });

  it('is for admin keys only', async () => {
    expect((await sql({ sql: 'SELECT 1' }, TEST_KEYS.read)).status).toBe(403);
    expect((await sql({ sql: 'SELECT 1' }, TEST_KEYS.write)).status).toBe(403);
  });

  it.each([
    ['two statements', 'SELECT 1; SELECT 2'],
    ['a write', `INSERT INTO orders.order_events (order_id) VALUES ('x')`],
    ['DDL', 'DROP TABLE orders.order_events'],
    ['a file', "SELECT * FROM file('/etc/passwd', 'LineAsString')"],
    ['a URL', "SELECT * FROM url('http://example.com/', 'LineAsString')"],
    ['another server', "SELECT * FROM remote('127.0.0.1', system.one)"],
    ['another database engine', "SELECT * FROM mysql('db:3306', 'shop', 'orders', 'u', 'p')"],
    ['a program', "SELECT * FROM executable('ls', 'LineAsString')"],
    ['writing a file', "SELECT 1 INTO OUTFILE '/tmp/out.csv'"],
    ['raising its own limits', 'SELECT 1 SETTINGS max_execution_time = 1000'],
    ['a host file through a quoted name', "SELECT `file`('/proc/self/environ') AS e"],
    ['nothing', '   '],
  ])('refuses %s before running it (SQL_NOT_ALLOWED)', async (_what, statement) => {
    const reply = await sql({ sql: statement });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('SQL_NOT_ALLOWED');
  });

  it('reads unqualified names from the orders database', async () => {
    const reply = await sql({ sql: 'SELECT currentDatabase() AS db, count() > 0 AS some FROM order_events' });
    expect([reply.status, reply.body.rows]).toEqual([200, [{ db: 'orders', some: 1 }]]);
  });

  it('reads the settings table, which is not a SETTINGS clause', async () => {
    const reply = await sql({ sql: "SELECT name FROM system.settings WHERE name = 'readonly'" });
    expect(reply.status).toBe(200);
    expect(reply.body.rows).toEqual([{ name: 'readonly' }]);
  });

  it('keeps semicolons and function names inside strings and comments harmless', async () => {
    const reply = await sql({ sql: "SELECT 'a; file(x)' AS s /* ; url( */ -- ; remote(\n" });
    expect(reply.status).toBe(200);
    expect(reply.body.rows).toEqual([{ s: 'a; file(x)' }]);
  });

  it.each([
    ['a statement ClickHouse cannot parse', 'SELECT FROM WHERE'],
    ['an unclosed string', "SELECT 'x"],
    ['an unknown table', 'SELECT * FROM orders.nope'],
    ['a statement that fails as it runs', "SELECT 1 FROM system.one WHERE 0 UNION ALL SELECT throwIf(1, 'refused')"],
  ])('answers %s with SQL_FAILED and ClickHouse’s reason', async (_what, statement) => {
    const reply = await sql({ sql: statement });
    expectProblem(reply, 400, 'SQL_FAILED');
    expect(reply.body.detail.length).toBeGreaterThan(10);
  });

  it.each([
    ['more rows than an answer may hold', 'SELECT number FROM system.numbers LIMIT 20000'],
    ['more rows read than allowed', 'SELECT count() FROM numbers(1000000000)'],
  ])('answers a statement that takes %s with SQL_LIMIT_EXCEEDED, not an invitation to retry', async (_what, statement) => {
    const reply = await sql({ sql: statement });
    expectProblem(reply, 400, 'SQL_LIMIT_EXCEEDED');
    expect(reply.headers.get('retry-after')).toBeNull();
    // The next statement gets its own answer, not what the refused one left behind.
    expect((await sql({ sql: "SELECT 'next' AS n" })).body.rows).toEqual([{ n: 'next' }]);
  });

  it('stops the statement of a client that hangs up, and answers the next one', async () => {
    const body = JSON.stringify({ sql: "SELECT 'hung-up' AS tag, count() FROM numbers(100000000) WHERE cityHash64(repeat(toString(number), 200)) = 0" });
    const request = http.request(`${stack.apiUrl}/analytics/sql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEYS.admin}`, 'content-type': 'application/json' },
    });
    request.on('error', () => undefined);
    request.end(body);
    const running = async () => {
      const result = await stack.ch.client.query({ query: 'SELECT query FROM system.processes', format: 'JSONEachRow' });
      return (await result.json<{ query: string }>()).some((row) => row.query.includes("'hung-up'"));
    };
    await eventually(async () => ((await running()) ? true : undefined), 10_000, 'the statement to run');
    request.destroy();
    await eventually(async () => ((await running()) ? undefined : true), 10_000, 'the statement to stop');
    expect((await sql({ sql: "SELECT 'next' AS n" })).body.rows).toEqual([{ n: 'next' }]);
  });

  it('refuses bad parameters and unknown fields, naming them (the route declares their shape)', async () => {
    const fields = async (body: unknown) => (await sql(body)).body.errors.map((error: { field: string }) => error.field);
    expect(await fields({ sql: 'SELECT {x:String}', params: { 'x y': 'a' } })).toEqual(['params.x y']);
    expect(await fields({ sql: 'SELECT {x:String}', params: { x: { nested: true } } })).toEqual(['params.x']);
    expect(await fields({ sql: 'SELECT 1', extra: 1 })).toEqual(['extra']);
  });
});

describe('money at the top of the accepted range', () => {
  it('is the same to the cent in /stats/orders and /analytics/revenue', async () => {
    // The largest total an order may have: 9,999,999,999,999.99. Twelve of them pass 2^53 cents.
    const lines = [
      ...Array.from({ length: 9 }, (_, n) => ({ productId: `${run}-big-${n}`, quantity: 1_000_000, price: 1_000_000 })),
      { productId: `${run}-big-9`, quantity: 1_000_000, price: 999_999.99 },
      { productId: `${run}-big-10`, quantity: 1, price: 9_999.99 },
    ];
    await new Promise((resolve) => setTimeout(resolve, 10));
    const since = new Date().toISOString();
    for (let n = 0; n < 12; n += 1) {
      const reply = await post('/orders', { orderId: `${run}-big-order-${n}`, customerId: `${run}-big-customer`, items: lines });
      expect([reply.status, reply.body.total]).toEqual([201, 9_999_999_999_999.99]);
      await settle(`${run}-big-order-${n}`, 1);
    }
    const until = new Date(Date.now() + 1000).toISOString();
    const exact = async (path: string) => {
      const response = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${TEST_KEYS.admin}` } });
      return parse(await response.text()) as any;
    };
    const stats = await exact(`/stats/orders?from=${since}&to=${until}`);
    const revenue = await exact(`/analytics/revenue?from=${since}&to=${until}&granularity=hour`);
    const cents = (amount: { toString(): string }) => {
      const [whole, fraction = ''] = amount.toString().split('.');
      return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
    };
    expect(stats.totalOrders.valueOf()).toBe(12);
    expect(cents(stats.totalRevenue)).toBe(12n * 999_999_999_999_999n);
    expect(cents(stats.averageOrderValue)).toBe(999_999_999_999_999n);
    const bucketSum = (revenue.buckets as any[]).reduce((sum, bucket) => sum + cents(bucket.totalRevenue), 0n);
    expect(bucketSum).toBe(cents(stats.totalRevenue));
  });
});
