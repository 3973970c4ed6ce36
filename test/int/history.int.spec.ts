/**
 * The past from the event log on a real embedded ClickHouse (chDB): an order's events read back
 * as the domain recorded them, and the statistics and revenue as of any instant equal to what
 * folding each order's events up to that instant with the domain's own `evolve` gives. Histories
 * are generated (fast-check, fixed seed) across a month boundary, some events delivered twice;
 * the instants and ranges asked about are generated too.
 */
import fs from 'node:fs';
import fc from 'fast-check';
import { stringify } from 'lossless-json';
import { revenueSeries } from '../../src/clickhouse/analytics';
import { ClickHouse, openClickHouse } from '../../src/clickhouse/client';
import { EventLogWriter } from '../../src/clickhouse/eventLog';
import { orderEvents } from '../../src/clickhouse/history';
import { orderStatistics } from '../../src/clickhouse/orderQueries';
import { applySchema } from '../../src/clickhouse/schema';
import { loadConfig } from '../../src/config';
import { averageAmount, exactAmount, toDecimalString } from '../../src/domain/money';
import { decide, evolve, ORDER_STATUSES, OrderCommand, OrderEvent, OrderState, RecordedEvent, recorded, stateAfter } from '../../src/domain/order';
import { tempDir } from '../support/stack';

let ch: ClickHouse;
let writer: EventLogWriter;
const dataDir = tempDir('history');

const START = Date.parse('2026-04-29T00:00:00.000Z');
const HOUR = 3_600_000;
/** Every order's events, as the domain recorded them. */
const histories = new Map<string, OrderEvent[]>();

type Step = 'CONFIRMED' | 'SHIPPED' | 'DELIVERED' | 'CANCEL';
const PATHS: Step[][] = [[], ['CONFIRMED'], ['CONFIRMED', 'SHIPPED'], ['CONFIRMED', 'SHIPPED', 'DELIVERED'], ['CANCEL'], ['CONFIRMED', 'CANCEL']];

/** One order's commands through the domain, as its workflow runs them, each at its own instant. */
function recordHistory(orderId: string, createdAt: number, cents: number, path: Step[], gaps: number[]): RecordedEvent[] {
  const meta = (n: number) => ({ commandId: `${orderId}-cmd-${n}`, correlationId: 'history-test' });
  const commands: OrderCommand[] = [
    {
      type: 'CreateOrder',
      ...meta(0),
      orderId,
      customerId: 'c',
      customerName: 'Ada',
      customerNameGiven: true,
      items: [{ productId: 'p', quantity: 1, unitPriceCents: cents }],
    },
    ...path.map((step, n) =>
      step === 'CANCEL'
        ? { type: 'CancelOrder' as const, ...meta(n + 1), orderId, reason: 'changed my mind' }
        : { type: 'ChangeOrderStatus' as const, ...meta(n + 1), orderId, status: step },
    ),
  ];
  const events: RecordedEvent[] = [];
  let state: OrderState | undefined;
  let at = createdAt;
  commands.forEach((command, n) => {
    if (n > 0) at += gaps[n - 1];
    for (const event of decide(state, command, new Date(at))) {
      state = evolve(state, event);
      events.push(recorded(event, state));
    }
  });
  return events;
}

const orderArbitrary = fc.record({
  createdAt: fc.integer({ min: START, max: START + 96 * HOUR }),
  cents: fc.integer({ min: 0, max: 100_000_000 }),
  path: fc.constantFrom(...PATHS),
  // Zero: two events in the same millisecond, as a fast client can make them.
  gaps: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30 * HOUR })), { minLength: 3, maxLength: 3 }),
  twice: fc.boolean(),
});

beforeAll(async () => {
  ch = await openClickHouse(loadConfig({ DATA_DIR: dataDir }));
  await applySchema(ch);
  writer = EventLogWriter.forClickHouse(ch);
  const orders = fc.sample(orderArbitrary, { numRuns: 120, seed: 2026 });
  const delivered: RecordedEvent[] = [];
  orders.forEach((order, n) => {
    const events = recordHistory(`h-${String(n).padStart(3, '0')}`, order.createdAt, order.cents, order.path, order.gaps);
    histories.set(
      events[0].event.orderId,
      events.map(({ event }) => event),
    );
    delivered.push(...events);
    // A retried append: the same events in an insert of their own.
    if (order.twice) delivered.push(...events);
  });
  for (let first = 0; first < delivered.length; first += 100) await writer.append(delivered.slice(first, first + 100));
});

afterAll(async () => {
  await writer?.close();
  await ch?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Every order created in [from, to) as its events up to `asOf` leave it, folded with `evolve`. */
function foldedAt(from: number, to: number, asOf: number): OrderState[] {
  return [...histories.values()]
    .map((events) => stateAfter(events.filter((event) => Date.parse(event.occurredAt) <= asOf)))
    .filter((state): state is OrderState => state !== undefined && Date.parse(state.createdAt) >= from && Date.parse(state.createdAt) < to);
}

const amount = (states: OrderState[]) => exactAmount(toDecimalString(states.reduce((sum, state) => sum + state.totalCents, 0)));

/** The statistics the fold gives, as the API answers them. */
function foldedStatistics(from: number, to: number, asOf: number) {
  const states = foldedAt(from, to, asOf);
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    asOf: new Date(asOf).toISOString(),
    totalOrders: states.length,
    totalRevenue: amount(states),
    netRevenue: amount(states.filter((state) => state.status !== 'CANCELLED')),
    averageOrderValue: averageAmount(amount(states), states.length),
    ordersByStatus: Object.fromEntries(ORDER_STATUSES.map((status) => [status, states.filter((state) => state.status === status).length])),
  };
}

/** An instant to ask about: any moment around the histories, or exactly one at which an event occurred. */
function instant() {
  const occurred = [...histories.values()].flat().map((event) => Date.parse(event.occurredAt));
  return fc.oneof(fc.integer({ min: START - HOUR, max: START + 200 * HOUR }), fc.constantFrom(...occurred));
}

describe('statistics as of a past instant', () => {
  it('equal the fold of every order’s events up to that instant, over any range', async () => {
    await fc.assert(
      fc.asyncProperty(instant(), instant(), instant(), async (a, b, asOf) => {
        const [from, to] = a < b ? [a, b] : [b, a + 1];
        const answer = await orderStatistics(ch, new Date(from), new Date(to), new Date(asOf));
        expect(JSON.parse(stringify(answer)!)).toEqual(JSON.parse(stringify(foldedStatistics(from, to, asOf))!));
      }),
      { numRuns: 60, seed: 24 },
    );
  });

  it('count an order as it was: cancelled later is not cancelled, created later is not there', async () => {
    const events = [...histories.values()].find((list) => list.at(-1)!.eventType === 'OrderCancelled' && list.at(-1)!.occurredAt > list[0].occurredAt)!;
    const before = Date.parse(events.at(-1)!.occurredAt) - 1;
    const created = Date.parse(events[0].occurredAt);
    const of = async (asOf: number) => (await orderStatistics(ch, new Date(created), new Date(created + 1), new Date(asOf))).ordersByStatus;
    expect((await of(before)).CANCELLED).toBe(0);
    expect((await of(before + 1)).CANCELLED).toBe(1);
    expect(Object.values(await of(created - 1)).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('per hour in the revenue series equal the fold too, empty hours included', async () => {
    const from = START + 20 * HOUR;
    const to = START + 60 * HOUR;
    await fc.assert(
      fc.asyncProperty(instant(), async (asOf) => {
        const series = await revenueSeries(ch, new Date(from), new Date(to), 'hour', new Date(asOf));
        expect(series.asOf).toBe(new Date(asOf).toISOString());
        expect(series.buckets).toHaveLength(40);
        for (const bucket of series.buckets) {
          const start = Date.parse(bucket.start);
          const states = foldedAt(start, start + HOUR, asOf);
          const kept = states.filter((state) => state.status !== 'CANCELLED');
          expect(JSON.parse(stringify(bucket)!)).toEqual({
            start: bucket.start,
            orders: states.length,
            cancelledOrders: states.length - kept.length,
            totalRevenue: Number(amount(states).toString()),
            netRevenue: Number(amount(kept).toString()),
          });
        }
      }),
      { numRuns: 20, seed: 11 },
    );
  });
});

describe("an order's events", () => {
  it('read back as the domain recorded them, once each though some were delivered twice, in version order', async () => {
    for (const [orderId, events] of histories) expect(await orderEvents(ch, orderId)).toEqual(events);
  });

  it('up to an instant fold into the order as it stood then', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...histories.keys()), instant(), async (orderId, asOf) => {
        const read = await orderEvents(ch, orderId, { asOf: new Date(asOf) });
        const expected = histories.get(orderId)!.filter((event) => Date.parse(event.occurredAt) <= asOf);
        expect(read).toEqual(expected);
        expect(stateAfter(read)).toEqual(stateAfter(expected));
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it('page by version: after a version, at most a limit; none for an order the log does not hold', async () => {
    const [orderId, events] = [...histories].find(([, list]) => list.length >= 3)!;
    expect((await orderEvents(ch, orderId, { afterVersion: 1, limit: 1 })).map((event) => event.version)).toEqual([2]);
    expect(await orderEvents(ch, orderId, { afterVersion: events.length })).toEqual([]);
    expect(await orderEvents(ch, 'no-such-order')).toEqual([]);
  });
});
