/**
 * The routes `npm run bench` drives (on only with ENABLE_BENCH_ROUTES=1) refuse malformed sizes
 * with a 400 naming the field, before anything is loaded, and generate what they are asked for.
 */
import { call, expectProblem } from '../support/http';
import { startTestStack, TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ env: { ENABLE_BENCH_ROUTES: '1' } });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function generatedOrders(): Promise<{ orders: number; years: number[] }> {
  const result = await stack.ch.client.query({
    query: `SELECT uniqExact(order_id) AS orders, groupUniqArray(toYear(created_at)) AS years
            FROM ${stack.ch.database}.order_events WHERE startsWith(order_id, 'g-')`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ orders: string; years: number[] }>();
  return { orders: Number(row.orders), years: row.years };
}

it.each([
  ['/admin/bench/ingest', { concurrency: 'lots' }, 'concurrency'],
  ['/admin/bench/ingest', { orders: 0 }, 'orders'],
  ['/admin/bench/ingest', { singleRowSample: 2.5 }, 'singleRowSample'],
  ['/admin/bench/ingest', { rounds: 10 }, 'rounds'],
  ['/admin/bench/generate', {}, 'orders'],
  ['/admin/bench/generate', { orders: '100' }, 'orders'],
  ['/admin/bench/generate', { orders: 10, year: 'last' }, 'year'],
])('%s refuses %j with 400 VALIDATION_FAILED naming %s, and loads nothing', async (route, body, field) => {
  const reply = await call(stack.apiUrl, 'POST', route, { json: body });
  expectProblem(reply, 400, 'VALIDATION_FAILED');
  expect(reply.body.errors).toEqual([expect.objectContaining({ field })]);
  expect((await generatedOrders()).orders).toBe(0);
});

it('generates the orders asked for, created in the year asked for', async () => {
  const reply = await call<string>(stack.apiUrl, 'POST', '/admin/bench/generate', { json: { orders: 20, year: 2024 } });
  expect(reply.status).toBe(200);
  const lines = reply.body
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(lines.at(-1)).toEqual({ done: expect.objectContaining({ orders: 20, total: 20 }) });
  expect(await generatedOrders()).toEqual({ orders: 20, years: [2024] });
}, 60_000);

it('measures ingestion in scratch databases of its own and leaves none of them behind', async () => {
  const reply = await call<{ events: number; activityRounds: number[]; bulkRounds: number[]; singleRowSample: number }>(
    stack.apiUrl,
    'POST',
    '/admin/bench/ingest',
    {
      json: { orders: 25, rounds: 3, singleRowSample: 5, concurrency: 10 },
    },
  );
  expect(reply.status).toBe(200);
  expect(reply.body).toMatchObject({ events: 100, singleRowSample: 5 });
  expect(reply.body.activityRounds).toHaveLength(3);
  expect(reply.body.bulkRounds).toHaveLength(3);
  const databases = await stack.ch.client.query({ query: 'SELECT name FROM system.databases ORDER BY name', format: 'JSONEachRow' });
  const names = (await databases.json<{ name: string }>()).map(({ name }) => name);
  expect(names).toContain(stack.ch.database);
  expect(names.filter((name) => name.includes('_bench_'))).toEqual([]);
  // The service's own log holds none of the bench's orders.
  const own = await stack.ch.client.query({
    query: `SELECT count() AS n FROM ${stack.ch.database}.order_events WHERE startsWith(order_id, 'ing-')`,
    format: 'JSONEachRow',
  });
  const [{ n }] = await own.json<{ n: string | number }>();
  expect(Number(n)).toBe(0);
}, 60_000);
