/**
 * The benchmark's own server (bench/server/routes.ts), which runs beside the service in its
 * process: it refuses malformed sizes before loading anything, generates what it is asked for, and
 * measures ingestion in scratch databases it leaves none of behind. On a real chDB of its own.
 */
import fs from 'node:fs';
import { serveBench } from '../../bench/server/routes';
import { ClickHouse, openClickHouse } from '../../src/clickhouse/client';
import { applySchema } from '../../src/clickhouse/schema';
import { loadConfig } from '../../src/config';
import { COMMAND_SCHEMAS } from '../../src/domain/commands';
import { centsFromNumber } from '../../src/domain/money';
import { silentLogger } from '../../src/logger';
import { tempDir } from '../support/stack';

let dataDir: string;
let ch: ClickHouse;
let bench: { port: number; stop(): Promise<void> };

beforeAll(async () => {
  dataDir = tempDir('bench-server');
  ch = await openClickHouse(loadConfig({ DATA_DIR: dataDir }));
  await applySchema(ch);
  bench = await serveBench({ ch, log: silentLogger(), deliverySlots: 10 }, 0);
});

afterAll(async () => {
  await bench?.stop();
  await ch?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const post = async (route: string, body: unknown) => {
  const response = await fetch(`http://127.0.0.1:${bench.port}${route}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
  return { status: response.status, text: await response.text() };
};

async function count(query: string): Promise<number> {
  const [row] = await (await ch.client.query({ query, format: 'JSONEachRow' })).json<{ n: string | number }>();
  return Number(row.n);
}

const generated = () => count(`SELECT uniqExact(order_id) AS n FROM ${ch.database}.order_events WHERE startsWith(order_id, 'g-')`);

it.each([
  ['/ingest', { concurrency: 'lots' }, 'concurrency'],
  ['/ingest', { orders: 0 }, 'orders'],
  ['/ingest', { rounds: 10 }, 'rounds'],
  ['/generate', {}, 'orders'],
  ['/generate', { orders: '100' }, 'orders'],
  ['/generate', { orders: 10, year: 'last' }, 'year'],
])('%s refuses %j with 400 naming %s, and loads nothing', async (route, body, field) => {
  const reply = await post(route, body);
  expect(reply.status).toBe(400);
  expect(JSON.parse(reply.text).error).toMatch(new RegExp(`^${field}: `));
  expect(await generated()).toBe(0);
});

it('generates the orders asked for, created in the year asked for', async () => {
  const reply = await post('/generate', { orders: 20, year: 2024 });
  expect(reply.status).toBe(200);
  const lines = reply.text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(lines.at(-1)).toEqual({ done: expect.objectContaining({ orders: 20, total: 20 }) });
  expect(await generated()).toBe(20);
  const years = await ch.client.query({
    query: `SELECT groupUniqArray(toYear(created_at)) AS years FROM ${ch.database}.order_events WHERE startsWith(order_id, 'g-')`,
    format: 'JSONEachRow',
  });
  expect(await years.json()).toEqual([{ years: [2024] }]);
});

it('generates prices the domain would take, each order totalling its lines to the cent', async () => {
  const created = await ch.client.query({
    query: `SELECT payload FROM ${ch.database}.order_events WHERE startsWith(order_id, 'g-') AND event_type = 'OrderCreated'`,
    format: 'JSONEachRow',
  });
  const orders = (await created.json<{ payload: string }>()).map(({ payload }) => JSON.parse(payload));
  expect(orders).toHaveLength(20);
  for (const { items, total } of orders) {
    const lines = items.map((item: { quantity: number; price: number }) => ({ quantity: item.quantity, cents: COMMAND_SCHEMAS.PRICE.parse(item.price) }));
    expect(centsFromNumber(total)).toBe(lines.reduce((sum: number, line: { quantity: number; cents: number }) => sum + line.quantity * line.cents, 0));
  }
});

it('measures ingestion in scratch databases of its own and leaves none of them behind', async () => {
  const reply = await post('/ingest', { orders: 25, rounds: 3, singleRowSample: 5 });
  expect(reply.status).toBe(200);
  const figures = JSON.parse(reply.text);
  expect(figures).toMatchObject({ events: 100, singleRowSample: 5, concurrency: 10 });
  expect(figures.activityRounds).toHaveLength(3);
  expect(figures.bulkRounds).toHaveLength(3);
  expect(await count(`SELECT count() AS n FROM system.databases WHERE name LIKE '%\\_bench\\_%'`)).toBe(0);
  expect(await count(`SELECT count() AS n FROM ${ch.database}.order_events WHERE startsWith(order_id, 'ing-')`)).toBe(0);
});
