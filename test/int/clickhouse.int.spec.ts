/**
 * The event log and read models on a real embedded ClickHouse (chDB), fed through the same
 * EventLogWriter the worker uses.
 */
import fs from 'node:fs';
import { ClickHouse, openClickHouse } from '../../src/clickhouse/client';
import { EventLogWriter } from '../../src/clickhouse/eventLog';
import { lastCustomerName, listOrders, orderById, orderStatistics } from '../../src/clickhouse/orderQueries';
import { MIGRATIONS } from '../../src/clickhouse/migrations';
import { rebuildProjections } from '../../src/clickhouse/rebuild';
import { applySchema } from '../../src/clickhouse/schema';
import { loadConfig } from '../../src/config';
import { CommandMeta, decide, evolve, OrderCommand, OrderLine, OrderState, OrderStatus, RecordedEvent, recorded } from '../../src/domain/order';
import { tempDir } from '../support/stack';
import { stringify } from 'lossless-json';

let ch: ClickHouse;
let writer: EventLogWriter;
const dataDir = tempDir('ch');

beforeAll(async () => {
  ch = await openClickHouse(loadConfig({ DATA_DIR: dataDir }));
  await applySchema(ch);
  writer = EventLogWriter.forClickHouse(ch);
});

afterAll(async () => {
  await writer?.close();
  await ch?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

let sequence = 0;
const meta = (): CommandMeta => ({ commandId: `cmd-${(sequence += 1)}`, correlationId: 'test' });

/** Runs commands through the domain, as the workflow would, and returns the events in order. */
function history(orderId: string, at: Date, lines: OrderLine[], statuses: OrderStatus[], customerId = 'cust-1', customerName = 'Ada'): RecordedEvent[] {
  const commands: OrderCommand[] = [
    { type: 'CreateOrder', ...meta(), orderId, customerId, customerName, customerNameGiven: true, items: lines },
    ...statuses.map((status) => ({ type: 'ChangeOrderStatus' as const, ...meta(), orderId, status })),
  ];
  const events: RecordedEvent[] = [];
  let state: OrderState | undefined;
  commands.forEach((command, index) => {
    for (const event of decide(state, command, new Date(at.getTime() + index * 60_000))) {
      state = evolve(state, event);
      events.push(recorded(event, state));
    }
  });
  return events;
}

async function count(sql: string): Promise<number> {
  const result = await ch.client.query({ query: sql, format: 'JSONEachRow' });
  const [row] = await result.json<{ c: string }>();
  return Number(row.c);
}

describe('the schema', () => {
  it('applies once and is safe to apply again', async () => {
    expect(await applySchema(ch)).toEqual([]);
    expect(await count(`SELECT count() AS c FROM ${ch.database}.schema_migrations FINAL`)).toBe(MIGRATIONS.length);
  });
});

describe('when the same events are delivered twice', () => {
  it('changes no answer: order view, lists and statistics are as after one delivery', async () => {
    const at = new Date('2026-02-10T09:00:00.000Z');
    const events = history('dup-1', at, [{ productId: 'p', quantity: 3, unitPriceCents: 1000 }], ['CONFIRMED', 'SHIPPED'], 'dup-cust');
    await writer.append(events.slice(0, 2));
    await writer.append(events);
    // A retried activity sends the same batch again, and in a separate insert.
    await writer.append(events);
    await Promise.all([writer.append(events.slice(1)), writer.append(events.slice(2))]);

    expect(await orderById(ch, 'dup-1')).toMatchObject({ status: 'SHIPPED', version: 3, total: 30, itemCount: 1 });
    const byCustomer = await listOrders(ch, { customerId: 'dup-cust', limit: 10 });
    expect(byCustomer.orders.map((order) => order.orderId)).toEqual(['dup-1']);
    const shipped = await listOrders(ch, { status: 'SHIPPED', limit: 200 });
    expect(shipped.orders.filter((order) => order.orderId === 'dup-1')).toHaveLength(1);
    const confirmed = await listOrders(ch, { status: 'CONFIRMED', limit: 200 });
    expect(confirmed.orders.find((order) => order.orderId === 'dup-1')).toBeUndefined();
    const stats = await orderStatistics(ch, new Date('2026-02-10T00:00:00Z'), new Date('2026-02-11T00:00:00Z'));
    expect(stats).toMatchObject({ totalOrders: 1, ordersByStatus: { SHIPPED: 1 } });
    expect(String(stats.totalRevenue)).toBe('30');
    // After ClickHouse merges the duplicates away, the log holds each event once.
    await ch.client.command({ query: `OPTIMIZE TABLE ${ch.database}.order_events FINAL` });
    expect(await count(`SELECT count() AS c FROM ${ch.database}.order_events WHERE order_id = 'dup-1'`)).toBe(3);
  });
});

describe('when an event is offered again', () => {
  it('writes nothing if the log and every read model hold it', async () => {
    const events = history('again-1', new Date('2026-02-11T09:00:00.000Z'), [{ productId: 'p', quantity: 1, unitPriceCents: 500 }], ['CONFIRMED']);
    expect(await writer.append(events)).toBe(2);
    expect(await writer.append(events)).toBe(0);
    expect(await count(`SELECT count() AS c FROM ${ch.database}.order_events WHERE order_id = 'again-1'`)).toBe(2);
  });

  it('writes it again if a read model missed it (a crash between the commits of one insert), which repairs that model', async () => {
    const events = history(
      'again-2',
      new Date('2026-02-12T09:00:00.000Z'),
      [{ productId: 'p', quantity: 1, unitPriceCents: 700 }],
      ['CONFIRMED'],
      'again-cust',
    );
    await writer.append(events);
    for (const table of ['orders_by_customer', 'order_lines']) {
      await ch.client.command({ query: `DELETE FROM ${ch.database}.${table} WHERE order_id = 'again-2'` });
    }
    expect((await listOrders(ch, { customerId: 'again-cust', limit: 10 })).orders).toEqual([]);

    expect(await writer.append(events)).toBe(2);
    expect((await listOrders(ch, { customerId: 'again-cust', limit: 10 })).orders).toEqual([
      expect.objectContaining({ orderId: 'again-2', version: 2, status: 'CONFIRMED' }),
    ]);
    expect(await count(`SELECT count() AS c FROM ${ch.database}.order_lines WHERE order_id = 'again-2'`)).toBe(1);
    expect(await count(`SELECT count() AS c FROM ${ch.database}.order_events FINAL WHERE order_id = 'again-2'`)).toBe(2);
  });
});

describe('statistics', () => {
  const from = new Date('2026-05-01T00:00:00Z');
  const to = new Date('2026-05-02T00:00:00Z');

  beforeAll(async () => {
    // The guide's demo: 109.97 (shipped), 99.99 (cancelled), 89.97 (pending).
    await writer.append(
      history(
        's-001',
        new Date('2026-05-01T08:00:00Z'),
        [
          { productId: 'prod-1', quantity: 2, unitPriceCents: 2999 },
          { productId: 'prod-2', quantity: 1, unitPriceCents: 4999 },
        ],
        ['CONFIRMED', 'SHIPPED'],
        'customer-123',
      ),
    );
    await writer.append(
      history('s-002', new Date('2026-05-01T09:00:00Z'), [{ productId: 'prod-3', quantity: 1, unitPriceCents: 9999 }], ['CANCELLED'], 'customer-123'),
    );
    await writer.append(history('s-003', new Date('2026-05-01T10:00:00Z'), [{ productId: 'prod-1', quantity: 3, unitPriceCents: 2999 }], [], 'customer-456'));
    // Just outside the range at both ends.
    await writer.append(history('s-early', new Date('2026-04-30T23:59:59.999Z'), [{ productId: 'x', quantity: 1, unitPriceCents: 100 }], []));
    await writer.append(history('s-late', new Date('2026-05-02T00:00:00.000Z'), [{ productId: 'x', quantity: 1, unitPriceCents: 100 }], []));
  });

  it("reproduce the guide's figures in exact cents", async () => {
    // As the JSON answer carries them.
    expect(JSON.parse(stringify(await orderStatistics(ch, from, to)) ?? '')).toEqual({
      from: '2026-05-01T00:00:00.000Z',
      to: '2026-05-02T00:00:00.000Z',
      totalOrders: 3,
      totalRevenue: 299.93,
      netRevenue: 199.94,
      averageOrderValue: 99.98,
      ordersByStatus: { PENDING: 1, CONFIRMED: 0, SHIPPED: 1, DELIVERED: 0, CANCELLED: 1 },
    });
  });

  it('use a half-open range in UTC, whatever the zone of the bounds', async () => {
    const inBerlin = await orderStatistics(ch, new Date('2026-05-01T02:00:00+02:00'), new Date('2026-05-02T02:00:00+02:00'));
    expect(inBerlin.totalOrders).toBe(3);
    const withLate = await orderStatistics(ch, from, new Date('2026-05-02T00:00:00.001Z'));
    expect(withLate.totalOrders).toBe(4);
    const withEarly = await orderStatistics(ch, new Date('2026-04-30T23:59:59.999Z'), to);
    expect(withEarly.totalOrders).toBe(4);
  });

  it('keep timestamps in UTC', async () => {
    expect(await orderById(ch, 's-early')).toMatchObject({ createdAt: '2026-04-30T23:59:59.999Z' });
  });

  it('sum many small amounts without drift', async () => {
    const day = new Date('2026-06-01T00:00:00Z');
    const events = Array.from({ length: 1000 }, (_, i) => history(`cents-${i}`, day, [{ productId: 'p', quantity: 1, unitPriceCents: 10 }], [])).flat();
    await writer.append(events);
    const stats = await orderStatistics(ch, day, new Date('2026-06-02T00:00:00Z'));
    expect(String(stats.totalRevenue)).toBe('100');
    expect(String(stats.averageOrderValue)).toBe('0.10');
  });
});

describe('lists', () => {
  it('page through a customer with a cursor, each order once', async () => {
    const at = new Date('2026-07-01T00:00:00Z');
    for (let i = 0; i < 7; i += 1) await writer.append(history(`page-${i}`, at, [{ productId: 'p', quantity: 1, unitPriceCents: 100 }], [], 'pager'));
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page += 1) {
      const result = await listOrders(ch, {
        customerId: 'pager',
        limit: 3,
        after: cursor ? JSON.parse(Buffer.from(cursor, 'base64url').toString()).after : undefined,
      });
      seen.push(...result.orders.map((order) => order.orderId));
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    expect(seen).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
  });

  it('remember the last name a customer gave', async () => {
    await writer.append(history('name-1', new Date('2026-07-02T00:00:00Z'), [{ productId: 'p', quantity: 1, unitPriceCents: 1 }], [], 'named', 'Grace'));
    await writer.append(history('name-2', new Date('2026-07-03T00:00:00Z'), [{ productId: 'p', quantity: 1, unitPriceCents: 1 }], [], 'named', 'Grace Hopper'));
    expect(await lastCustomerName(ch, 'named')).toBe('Grace Hopper');
    expect(await lastCustomerName(ch, 'nobody')).toBeUndefined();
  });

  it('show an order under its current status only, even before merges', async () => {
    const events = history(
      'moving-1',
      new Date('2026-07-04T00:00:00Z'),
      [{ productId: 'p', quantity: 1, unitPriceCents: 1 }],
      ['CONFIRMED', 'SHIPPED'],
      'mover',
    );
    for (const event of events) await writer.append([event]);
    const under = async (status: OrderStatus, customerId?: string) =>
      (await listOrders(ch, { status, customerId, limit: 200 })).orders.filter((order) => order.orderId === 'moving-1').map((order) => order.status);
    expect(await under('PENDING')).toEqual([]);
    expect(await under('CONFIRMED')).toEqual([]);
    expect(await under('SHIPPED')).toEqual(['SHIPPED']);
    expect(await under('CONFIRMED', 'mover')).toEqual([]);
    expect(await under('SHIPPED', 'mover')).toEqual(['SHIPPED']);
  });
});

describe('rebuilding the read models', () => {
  async function everyAnswer() {
    const ids = (await listOrders(ch, { limit: 200 })).orders.map((order) => order.orderId);
    const views = await Promise.all(ids.map((id) => orderById(ch, id)));
    const byStatus = await Promise.all(
      (['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const).map((status) => listOrders(ch, { status, limit: 200 })),
    );
    const stats = await orderStatistics(ch, new Date('2026-01-01T00:00:00Z'), new Date('2027-01-01T00:00:00Z'));
    return { views, byStatus, stats, customer: await listOrders(ch, { customerId: 'customer-123', limit: 50 }) };
  }

  it('gives the same answers as the live models', async () => {
    const live = await everyAnswer();
    expect(live.views.length).toBeGreaterThan(10);
    const progress: string[] = [];
    const summary = await rebuildProjections(ch, (p) => progress.push(`${p.table} ${p.slice}/${p.slices}`));
    expect(progress).toContain('orders_by_created 16/16');
    expect(summary.tables.orders_by_id).toBeGreaterThan(0);
    expect(await everyAnswer()).toEqual(live);
  });
});

describe("the API's reader", () => {
  it('refuses to write or change the schema, and stops a runaway query', async () => {
    await expect(ch.reader.command({ query: `INSERT INTO ${ch.database}.schema_migrations (version, name) VALUES (999, 'x')` })).rejects.toThrow(/readonly/i);
    await expect(ch.reader.command({ query: `DROP TABLE ${ch.database}.order_events` })).rejects.toThrow(/readonly/i);
    await expect(ch.reader.query({ query: 'SELECT number FROM system.numbers LIMIT 200000', format: 'JSONEachRow' }).then((r) => r.json())).rejects.toThrow(
      /limit|rows/i,
    );
    // The writer is untouched by the reader's settings.
    await ch.client.command({ query: `INSERT INTO ${ch.database}.schema_migrations (version, name) VALUES (999, 'x')` });
    await ch.client.command({ query: `DELETE FROM ${ch.database}.schema_migrations WHERE version = 999` });
  });
});
