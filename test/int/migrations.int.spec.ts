/**
 * The migration chain takes an existing data directory forward: orders written under the schema
 * of an earlier migration answer the same after the later ones are applied (real chDB).
 */
import fs from 'node:fs';
import { ClickHouse, openClickHouse } from '../../src/clickhouse/client';
import { insertEventRows, toEventRow } from '../../src/clickhouse/eventLog';
import { ddlFor, MIGRATIONS } from '../../src/clickhouse/migrations';
import { lastCustomerName, listOrders, orderById } from '../../src/clickhouse/orderQueries';
import { applySchema, bootstrapStatements, schemaIsCurrent } from '../../src/clickhouse/schema';
import { loadConfig } from '../../src/config';
import { decide, evolve, OrderCommand, OrderState, RecordedEvent, recorded } from '../../src/domain/order';
import { tempDir } from '../support/stack';

let ch: ClickHouse;
const dataDir = tempDir('migrations');

afterAll(async () => {
  await ch?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** An order created for `customerId`, then confirmed, as its workflow records it. */
function confirmedOrder(orderId: string, customerId: string): RecordedEvent[] {
  const commands: OrderCommand[] = [
    {
      type: 'CreateOrder',
      commandId: `${orderId}-create`,
      correlationId: 'test',
      orderId,
      customerId,
      customerName: 'Ada',
      customerNameGiven: true,
      items: [{ productId: 'p', quantity: 1, unitPriceCents: 500 }],
    },
    { type: 'ChangeOrderStatus', commandId: `${orderId}-confirm`, correlationId: 'test', orderId, status: 'CONFIRMED' },
  ];
  let state: OrderState | undefined;
  const events: RecordedEvent[] = [];
  commands.forEach((command, index) => {
    for (const event of decide(state, command, new Date(Date.UTC(2026, 2, 1, 9, index)))) {
      state = evolve(state, event);
      events.push(recorded(event, state));
    }
  });
  return events;
}

/** Every migration before the chain's last one. */
const earlier = MIGRATIONS.slice(0, -1);
const latest = MIGRATIONS.at(-1)!;

describe('when a data directory holds orders written before the latest migration', () => {
  beforeAll(async () => {
    ch = await openClickHouse(loadConfig({ DATA_DIR: dataDir }));
    // The schema as it stood one migration ago, recorded as applied, with orders in it.
    for (const statement of bootstrapStatements(ch.database)) await ch.client.command({ query: statement });
    for (const migration of earlier) {
      for (const statement of migration.statements(ddlFor(ch.database))) await ch.client.command({ query: statement });
      await ch.client.insert({
        table: `${ch.database}.schema_migrations`,
        values: [{ version: migration.version, name: migration.name }],
        format: 'JSONEachRow',
      });
    }
    await insertEventRows(ch, [...confirmedOrder('old-1', 'old-customer'), ...confirmedOrder('old-2', 'old-customer')].map(toEventRow));
    expect(await schemaIsCurrent(ch)).toBe(false);
  });

  it('applies the latest migration once, and every order answers as before', async () => {
    expect(await applySchema(ch)).toEqual([latest.version]);
    expect(await applySchema(ch)).toEqual([]);
    expect(await schemaIsCurrent(ch)).toBe(true);
    expect(await orderById(ch, 'old-1')).toMatchObject({ status: 'CONFIRMED', version: 2, customerId: 'old-customer' });
    const page = await listOrders(ch, { customerId: 'old-customer', limit: 10 });
    expect(page.orders.map((order) => [order.orderId, order.status])).toEqual([
      ['old-1', 'CONFIRMED'],
      ['old-2', 'CONFIRMED'],
    ]);
    expect(await lastCustomerName(ch, 'old-customer')).toBe('Ada');
  });

  it('keeps feeding every read model from the log', async () => {
    await insertEventRows(ch, confirmedOrder('new-1', 'old-customer').map(toEventRow));
    const page = await listOrders(ch, { customerId: 'old-customer', status: 'CONFIRMED', limit: 10 });
    expect(page.orders.map((order) => order.orderId)).toEqual(['new-1', 'old-1', 'old-2']);
  });
});
