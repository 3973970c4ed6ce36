/**
 * The group commit of the event log: events from concurrent activities share inserts, and each
 * caller hears back only once the insert holding its events has succeeded (or failed).
 */
import { EventLogWriter, EventRow } from '../../src/clickhouse/eventLog';
import { decide, evolve, RecordedEvent, recorded } from '../../src/domain/order';

function created(orderId: string): RecordedEvent[] {
  return decide(
    undefined,
    {
      type: 'CreateOrder',
      commandId: `c-${orderId}`,
      correlationId: 'r',
      orderId,
      customerId: 'cu',
      customerName: 'Ada',
      customerNameGiven: true,
      items: [{ productId: 'p', quantity: 2, unitPriceCents: 2999 }],
    },
    new Date('2026-01-01T00:00:00.000Z'),
  ).map((event) => recorded(event, evolve(undefined, event)));
}

/** A stand-in for ClickHouse whose inserts finish only when the test says so. */
function controllableSink() {
  const inserts: Array<{ rows: EventRow[]; finish: (error?: Error) => void }> = [];
  const write = (rows: EventRow[]) => new Promise<void>((resolve, reject) => inserts.push({ rows, finish: (error) => (error ? reject(error) : resolve()) }));
  return { inserts, write };
}

const settled = async (promise: Promise<unknown>) => {
  let state = 'pending';
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return state;
};

describe('the event log writer', () => {
  it('gathers events that arrive during an insert into the next one', async () => {
    const sink = controllableSink();
    const writer = new EventLogWriter(sink.write);
    const first = writer.append(created('a'));
    const waiting = ['b', 'c', 'd'].map((id) => writer.append(created(id)));
    expect(sink.inserts).toHaveLength(1);
    sink.inserts[0].finish();
    await first;
    expect(sink.inserts).toHaveLength(2);
    expect(sink.inserts[1].rows.map((row) => row.order_id)).toEqual(['b', 'c', 'd']);
    expect(await settled(waiting[0])).toBe('pending');
    sink.inserts[1].finish();
    await Promise.all(waiting);
  });

  it('answers a caller only after its own insert, and fails only the callers of a failed insert', async () => {
    const sink = controllableSink();
    const writer = new EventLogWriter(sink.write);
    const first = writer.append(created('a'));
    const second = writer.append(created('b'));
    sink.inserts[0].finish(new Error('ClickHouse is down'));
    await expect(first).rejects.toThrow('ClickHouse is down');
    expect(await settled(second)).toBe('pending');
    sink.inserts[1].finish();
    await expect(second).resolves.toBeUndefined();
  });

  it('keeps an insert under the row limit, never splitting one caller’s events', async () => {
    const sink = controllableSink();
    const writer = new EventLogWriter(sink.write, { maxBatchRows: 2 });
    const all = ['a', 'b', 'c', 'd', 'e'].map((id) => writer.append(created(id)));
    sink.inserts[0].finish();
    for (let i = 1; i < 4; i += 1) {
      await new Promise((resolve) => setImmediate(resolve));
      sink.inserts[i]?.finish();
    }
    await Promise.all(all);
    expect(sink.inserts.map((insert) => insert.rows.length)).toEqual([1, 2, 2]);
  });

  it('writes every row in the log format: UTC time, exact decimal total, the payload as JSON', async () => {
    const rows: EventRow[] = [];
    const writer = new EventLogWriter(async (batch) => {
      rows.push(...batch);
    });
    await writer.append(created('a'));
    expect(rows[0]).toMatchObject({
      event_id: 'a:1',
      event_type: 'OrderCreated',
      occurred_at: '2026-01-01 00:00:00.000',
      total: '59.98',
      status: 'PENDING',
      previous_status: '',
      customer_id: 'cu',
      item_count: 1,
      created_at: '2026-01-01 00:00:00.000',
    });
    expect(JSON.parse(rows[0].payload)).toMatchObject({ total: 59.98, items: [{ productId: 'p', quantity: 2, price: 29.99 }] });
  });

  it('finishes what it holds on close, then refuses new events', async () => {
    const sink = controllableSink();
    const writer = new EventLogWriter(sink.write);
    const pending = writer.append(created('a'));
    const closing = writer.close();
    await expect(writer.append(created('b'))).rejects.toThrow('closed');
    sink.inserts[0].finish();
    await Promise.all([pending, closing]);
  });
});
