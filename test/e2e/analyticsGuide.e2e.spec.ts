/**
 * Every example query of docs/analytics.md, run as written through `POST /analytics/sql` and
 * through ClickHouse's HTTP interface (what a ClickHouse server answers `clickhouse-client` and
 * HTTP clients with; here chDB's engine behind test/support/clickhouseHttp.ts), on a seeded stack.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createClient } from '@clickhouse/client';
import { embeddedClickHousePath } from '../../src/clickhouse/client';
import { toClickHouseTime } from '../../src/clickhouse/eventLog';
import { projectRoot } from '../../src/paths';
import { ClickHouseHttp, serveClickHouseOverHttp } from '../support/clickhouseHttp';
import { call } from '../support/http';
import { startTestStack, TestStack } from '../support/stack';

const guide = fs.readFileSync(path.join(projectRoot(), 'docs', 'analytics.md'), 'utf8');
const examples = [...guide.matchAll(/```sql\n([\s\S]*?)```/g)].map((match) => match[1].trim());

let stack: TestStack;
let server: ClickHouseHttp;
const orderId = `guide-${Date.now()}`;

beforeAll(async () => {
  stack = await startTestStack();
  const post = (route: string, json: unknown) => call(stack.apiUrl, 'POST', route, { json });
  for (let n = 0; n < 6; n += 1) {
    const id = n === 0 ? orderId : `${orderId}-${n}`;
    expect(
      (await post('/orders', { orderId: id, customerId: `guide-customer-${n % 2}`, items: [{ productId: `p-${n % 3}`, quantity: n + 1, price: 12.5 }] }))
        .status,
    ).toBe(201);
    if (n % 3 === 1) expect((await post(`/orders/${id}/cancel`, { reason: n === 1 ? 'too slow' : 'found cheaper' })).status).toBe(200);
    if (n % 3 === 2 || n === 0) {
      expect((await post(`/orders/${id}/status`, { status: 'CONFIRMED' })).status).toBe(200);
      expect((await post(`/orders/${id}/status`, { status: 'SHIPPED' })).status).toBe(200);
    }
  }
  expect((await call(stack.apiUrl, 'GET', `/orders/${orderId}?minVersion=3`)).body.version).toBe(3);
  server = await serveClickHouseOverHttp(embeddedClickHousePath(stack.config.dataDir));
});

afterAll(async () => {
  await server?.close();
  await stack?.stop();
});

it('has at least ten example queries', () => {
  expect(examples.length).toBeGreaterThanOrEqual(10);
});

/** Values for the placeholders an example has, typed as the placeholder says. */
function paramsOf(sql: string): Record<string, string> | undefined {
  const values: Record<string, string> = { orderId, asOf: toClickHouseTime(new Date().toISOString()) };
  const named = [...sql.matchAll(/\{(\w+):[^}]+\}/g)].map((match) => match[1]);
  return named.length === 0 ? undefined : Object.fromEntries(named.map((name) => [name, values[name]]));
}

describe.each(examples.map((sql, index) => [index + 1, sql] as const))('example %i', (_n, sql) => {
  const params = paramsOf(sql);

  it('runs through POST /analytics/sql and through the HTTP interface, with the same answer', async () => {
    const reply = await call(stack.apiUrl, 'POST', '/analytics/sql', { json: { sql, params } });
    expect([reply.status, reply.body.code]).toEqual([200, undefined]);
    expect(reply.body.columns.length).toBeGreaterThan(0);

    const client = createClient({ url: server.url, username: server.user, password: server.password });
    try {
      const direct = await (await client.query({ query: sql, query_params: params, format: 'JSON' })).json<Record<string, unknown>>();
      expect((direct.meta as Array<{ name: string }>).map((column) => column.name)).toEqual(reply.body.columns.map((column: { name: string }) => column.name));
      expect((direct.data as unknown[]).length).toBe(reply.body.rowCount);
    } finally {
      await client.close();
    }
  });
});

it('answers the seeded scenario: the history of one order, and the cancellation reasons', async () => {
  const history = await call(stack.apiUrl, 'POST', '/analytics/sql', { json: { sql: examples[10], params: { orderId } } });
  expect(history.body.rows.map((row: { status: string }) => row.status)).toEqual(['PENDING', 'CONFIRMED', 'SHIPPED']);
  const reasons = await call(stack.apiUrl, 'POST', '/analytics/sql', { json: { sql: examples[9] } });
  expect(reasons.body.rows.map((row: { reason: string }) => row.reason).sort()).toEqual(['found cheaper', 'too slow']);
});

it('answers every order as it stood at a past instant as GET /stats/orders?asOf= counts them', async () => {
  const events = (await call(stack.apiUrl, 'GET', `/orders/${orderId}/events`)).body.events;
  const instants = [Date.parse(events[0].occurredAt) - 1, Date.parse(events[0].occurredAt), Date.parse(events[2].occurredAt), Date.now()];
  for (const at of instants) {
    const asOf = new Date(at).toISOString();
    const guide = await call(stack.apiUrl, 'POST', '/analytics/sql', { json: { sql: examples[11], params: { asOf: toClickHouseTime(asOf) } } });
    expect(guide.status).toBe(200);
    const byStatus = Object.fromEntries(guide.body.rows.map((row: { status: string; orders: number }) => [row.status, Number(row.orders)]));
    const stats = await call(stack.apiUrl, 'GET', `/stats/orders?from=2000-01-01&to=2299-01-01&asOf=${asOf}`);
    const counted = Object.fromEntries(Object.entries(stats.body.ordersByStatus).filter(([, count]) => count !== 0));
    expect([asOf, byStatus]).toEqual([asOf, counted]);
  }
});
