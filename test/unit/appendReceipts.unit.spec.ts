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

/** Receipts held 400 ms (swept every 100 ms), sent to `sent`, or to `lost` once `fail()` was called. */
function receipts() {
  const sent: Array<[string, AppendReceipt]> = [];
  /** The orders whose receipt was sent as the process stopped. */
  const atStop: string[] = [];
  const lost: string[] = [];
  let failing = false;
  let answering = true;
  const log = new AppendReceipts({
    send: (orderId, receipt, stopping) => {
      if (failing) return Promise.reject(new Error('the server is away'));
      sent.push([orderId, receipt]);
      if (stopping) atStop.push(orderId);
      return answering ? Promise.resolve() : new Promise<void>(() => {});
    },
    onLost: (orderId) => lost.push(orderId),
    holdMs: 400,
  });
  return { log, sent, atStop, lost, fail: () => (failing = true), hang: () => (answering = false) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z'), doNotFake: ['setImmediate'] }));
afterEach(() => jest.useRealTimers());

it('rides on the next command to the order when it comes within the hold, and is then not sent alone', async () => {
  const { log, sent } = receipts();
  log.appended(order('a', 'PENDING', 1));
  jest.advanceTimersByTime(350);
  expect(log.take('a')?.receipt).toEqual({ appendedThrough: 1 });
  expect(log.take('a')).toBeUndefined();
  jest.advanceTimersByTime(2000);
  await settle();
  expect(sent).toEqual([]);
  // Nothing held: no timer left running.
  expect(jest.getTimerCount()).toBe(0);
});

it('goes alone, once, after the hold when no command comes to the order', async () => {
  const { log, sent } = receipts();
  log.appended(order('a', 'PENDING', 1));
  jest.advanceTimersByTime(200);
  log.appended(order('b', 'CONFIRMED', 2));
  jest.advanceTimersByTime(300);
  await settle();
  // `a` waited 500 ms, `b` 300 ms.
  expect(sent).toEqual([['a', { appendedThrough: 1 }]]);
  jest.advanceTimersByTime(200);
  await settle();
  expect(sent).toEqual([
    ['a', { appendedThrough: 1 }],
    ['b', { appendedThrough: 2 }],
  ]);
  expect(log.take('a')).toBeUndefined();
  expect(jest.getTimerCount()).toBe(0);
});

it('is held again, as long as it was, when the command that took it did not reach the workflow', async () => {
  const { log, sent } = receipts();
  log.appended(order('a', 'PENDING', 1));
  jest.advanceTimersByTime(300);
  const taken = log.take('a')!;
  jest.advanceTimersByTime(50);
  log.giveBack('a', taken);
  // 350 ms into its hold of 400: the next sweep sends it.
  jest.advanceTimersByTime(100);
  await settle();
  expect(sent).toEqual([['a', { appendedThrough: 1 }]]);
});

it('is not given back over a later receipt of the same order', async () => {
  const { log, sent } = receipts();
  log.appended(order('a', 'PENDING', 1));
  const taken = log.take('a')!;
  log.appended(order('a', 'CONFIRMED', 2));
  log.giveBack('a', taken);
  jest.advanceTimersByTime(500);
  await settle();
  expect(sent).toEqual([['a', { appendedThrough: 2 }]]);
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

it('sends what it holds when the process stops, waits for them at most as long as it is told, and sends later ones at once', async () => {
  const { log, sent, atStop, hang } = receipts();
  hang();
  log.appended(order('a', 'PENDING', 1));
  log.appended(order('b', 'SHIPPED', 3));
  expect(atStop).toEqual([]);
  let closed = false;
  const closing = log.close(2000).then(() => (closed = true));
  expect(sent).toEqual([
    ['a', { appendedThrough: 1 }],
    ['b', { appendedThrough: 3 }],
  ]);
  jest.advanceTimersByTime(1999);
  await settle();
  expect(closed).toBe(false);
  jest.advanceTimersByTime(1);
  await closing;
  // A command still running when the server stopped: its receipt goes at once, with no timer.
  log.appended(order('c', 'CONFIRMED', 2));
  expect(sent.at(-1)).toEqual(['c', { appendedThrough: 2 }]);
  expect(jest.getTimerCount()).toBe(0);
  // Each marked as sent by a stopping process, which sends them as signals (orderGateway.ts).
  expect(atStop).toEqual(['a', 'b', 'c']);
});

it('says which receipts it could not send, so that their workflows deliver the events', async () => {
  const { log, lost, fail } = receipts();
  fail();
  log.appended(order('a', 'DELIVERED', 4));
  log.appended(order('b', 'PENDING', 1));
  jest.advanceTimersByTime(500);
  await settle();
  expect(lost).toEqual(['a', 'b']);
});
