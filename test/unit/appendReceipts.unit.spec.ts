/**
 * Receipts of the API's appends: one rides on the next command to its order when that comes soon,
 * and goes alone, once, when the order stays quiet or is terminal; none is lost when the process
 * stops.
 */
import { decide, evolve, OrderSnapshot, OrderStatus, snapshot } from '../../src/domain/order';
import { AppendReceipts } from '../../src/temporal/appendReceipts';
import type { AppendReceipt } from '../../workflows/messages';

const CREATED = (() => {
  const [event] = decide(
    undefined,
    {
      type: 'CreateOrder',
      commandId: 'c-1',
      correlationId: 'r',
      orderId: 'o',
      customerId: 'cu',
      customerName: 'Ada',
      customerNameGiven: true,
      items: [{ productId: 'p', quantity: 1, unitPriceCents: 100 }],
    },
    new Date('2026-01-01T00:00:00.000Z'),
  );
  return snapshot(evolve(undefined, event));
})();

const order = (orderId: string, status: OrderStatus, version: number): OrderSnapshot => ({ ...CREATED, orderId, status, version });

function receipts() {
  const sent: Array<[string, AppendReceipt]> = [];
  const lost: string[] = [];
  let failing = false;
  const log = new AppendReceipts({
    send: async (orderId, receipt) => {
      if (failing) throw new Error('the server is away');
      sent.push([orderId, receipt]);
    },
    onLost: (orderId) => lost.push(orderId),
    holdMs: 1000,
  });
  return { log, sent, lost, fail: () => (failing = true) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z'), doNotFake: ['setImmediate'] }));
afterEach(() => jest.useRealTimers());

it('rides on the next command to the order when it comes within the hold, and is not sent alone', async () => {
  const { log, sent } = receipts();
  log.appended(order('a', 'PENDING', 1));
  jest.advanceTimersByTime(900);
  expect(log.for('a')).toEqual({ appendedThrough: 1 });
  log.appended(order('a', 'CONFIRMED', 2));
  jest.advanceTimersByTime(900);
  expect(log.for('a')).toEqual({ appendedThrough: 2 });
  await settle();
  expect(sent).toEqual([]);
  expect(log.for('b')).toBeUndefined();
});

it('goes alone, once, after the hold when no command comes to the order', async () => {
  const { log, sent } = receipts();
  log.appended(order('a', 'PENDING', 1));
  jest.advanceTimersByTime(500);
  log.appended(order('b', 'CONFIRMED', 2));
  jest.advanceTimersByTime(800);
  await settle();
  // `a` waited 1.3 s, `b` 0.8 s.
  expect(sent).toEqual([['a', { appendedThrough: 1 }]]);
  jest.advanceTimersByTime(500);
  await settle();
  expect(sent).toEqual([
    ['a', { appendedThrough: 1 }],
    ['b', { appendedThrough: 2 }],
  ]);
  expect(log.for('a')).toBeUndefined();
  jest.advanceTimersByTime(10_000);
  await settle();
  expect(sent).toHaveLength(2);
});

it('goes alone when the command that carried it left it (refused before it reached the workflow)', async () => {
  const { log, sent } = receipts();
  log.appended(order('a', 'PENDING', 1));
  jest.advanceTimersByTime(900);
  log.for('a');
  // Carried at 0.9 s: it waits a full hold again for that command's answer.
  jest.advanceTimersByTime(900);
  await settle();
  expect(sent).toEqual([]);
  jest.advanceTimersByTime(300);
  await settle();
  expect(sent).toEqual([['a', { appendedThrough: 1 }]]);
});

it("goes at once for a terminal order, which no command will follow, and the order's held one with it", async () => {
  const { log, sent } = receipts();
  log.appended(order('a', 'CONFIRMED', 2));
  log.appended(order('a', 'CANCELLED', 3));
  await settle();
  expect(sent).toEqual([['a', { appendedThrough: 3 }]]);
  jest.advanceTimersByTime(5000);
  await settle();
  expect(sent).toHaveLength(1);
});

it('sends what it holds when the process stops', async () => {
  const { log, sent } = receipts();
  log.appended(order('a', 'PENDING', 1));
  log.appended(order('b', 'SHIPPED', 3));
  await log.flush();
  expect(sent).toEqual([
    ['a', { appendedThrough: 1 }],
    ['b', { appendedThrough: 3 }],
  ]);
  jest.advanceTimersByTime(5000);
  await settle();
  expect(sent).toHaveLength(2);
});

it('says which receipts it could not send, so that their workflows deliver the events', async () => {
  const { log, lost, fail } = receipts();
  fail();
  log.appended(order('a', 'DELIVERED', 4));
  log.appended(order('b', 'PENDING', 1));
  jest.advanceTimersByTime(1500);
  await settle();
  expect(lost).toEqual(['a', 'b']);
});
