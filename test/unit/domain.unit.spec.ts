import { DomainError } from '../../src/domain/errors';
import {
  ALLOWED_TRANSITIONS,
  CancelOrder,
  ChangeOrderStatus,
  CreateOrder,
  decide,
  evolve,
  expirePaymentWindow,
  ORDER_STATUSES,
  OrderEvent,
  OrderState,
  OrderStatus,
  PAYMENT_WINDOW_COMMAND_ID,
  snapshot,
} from '../../src/domain/order';

const now = new Date('2026-03-01T12:00:00.000Z');
const later = new Date('2026-03-01T13:30:00.000Z');
const meta = (commandId: string) => ({ commandId, correlationId: `corr-${commandId}` });

const create: CreateOrder = {
  type: 'CreateOrder',
  ...meta('c1'),
  orderId: 'order-001',
  customerId: 'customer-123',
  customerName: 'Ada',
  customerNameGiven: true,
  items: [
    { productId: 'prod-1', quantity: 2, unitPriceCents: 2999 },
    { productId: 'prod-2', productName: 'Lamp', quantity: 1, unitPriceCents: 4999 },
  ],
};

function given(...events: OrderEvent[]): OrderState | undefined {
  return events.reduce<OrderState | undefined>((state, event) => evolve(state, event), undefined);
}

/** An order driven along the happy path to `status` (CANCELLED through PENDING). */
function orderIn(status: OrderStatus): OrderState {
  let state = given(...decide(undefined, create, now))!;
  const path: Record<OrderStatus, OrderStatus[]> = {
    PENDING: [],
    CONFIRMED: ['CONFIRMED'],
    SHIPPED: ['CONFIRMED', 'SHIPPED'],
    DELIVERED: ['CONFIRMED', 'SHIPPED', 'DELIVERED'],
    CANCELLED: ['CANCELLED'],
  };
  for (const next of path[status]) {
    const change: ChangeOrderStatus = { type: 'ChangeOrderStatus', ...meta(`to-${next}`), orderId: 'order-001', status: next };
    for (const event of decide(state, change, now)) state = evolve(state, event);
  }
  return state;
}

function rejection(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, but the command was accepted');
}

describe('creating an order', () => {
  it('records OrderCreated at version 1 with an exact total', () => {
    const [event] = decide(undefined, create, now);
    expect(event).toMatchObject({
      eventId: 'order-001:1',
      eventType: 'OrderCreated',
      schemaVersion: 1,
      orderId: 'order-001',
      version: 1,
      occurredAt: '2026-03-01T12:00:00.000Z',
      commandId: 'c1',
      correlationId: 'corr-c1',
      payload: { customerId: 'customer-123', customerName: 'Ada', total: 109.97 },
    });
  });

  it('starts PENDING with the items, item count and total of the guide', () => {
    const order = snapshot(orderIn('PENDING'));
    expect(order).toMatchObject({ status: 'PENDING', itemCount: 2, total: 109.97, version: 1, createdAt: order.updatedAt });
    expect(order.items).toEqual([
      { productId: 'prod-1', quantity: 2, price: 29.99 },
      { productId: 'prod-2', productName: 'Lamp', quantity: 1, price: 49.99 },
    ]);
  });

  it('sums money in cents: 3 × 0.10 + 0.20 is 0.50 exactly', () => {
    const [event] = decide(
      undefined,
      {
        ...create,
        items: [
          { productId: 'a', quantity: 3, unitPriceCents: 10 },
          { productId: 'b', quantity: 1, unitPriceCents: 20 },
        ],
      },
      now,
    );
    expect((event as Extract<OrderEvent, { eventType: 'OrderCreated' }>).payload.total).toBe(0.5);
  });

  it('refuses a second create of the same order', () => {
    expect(rejection(() => decide(orderIn('PENDING'), create, now)).code).toBe('ORDER_ALREADY_EXISTS');
  });
});

describe('the status state machine', () => {
  const cases = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as const));

  it.each(cases)('from %s to %s follows the table', (from, to) => {
    const state = orderIn(from);
    const change: ChangeOrderStatus = { type: 'ChangeOrderStatus', ...meta('x'), orderId: 'order-001', status: to };
    if (ALLOWED_TRANSITIONS[from].includes(to)) {
      const [event] = decide(state, change, later);
      expect(event.version).toBe(state.version + 1);
      expect(event.eventId).toBe(`order-001:${state.version + 1}`);
      const next = evolve(state, event);
      expect(next.status).toBe(to);
      expect(next.updatedAt).toBe(later.toISOString());
      expect(next.createdAt).toBe(state.createdAt);
    } else {
      const error = rejection(() => decide(state, change, later));
      expect(error.code).toBe('INVALID_TRANSITION');
      expect(error.message).toContain(`from ${from} to ${to}`);
    }
  });

  it('matches the guide: PENDING→CONFIRMED|CANCELLED, CONFIRMED→SHIPPED|CANCELLED, SHIPPED→DELIVERED', () => {
    expect(ALLOWED_TRANSITIONS).toEqual({
      PENDING: ['CONFIRMED', 'CANCELLED'],
      CONFIRMED: ['SHIPPED', 'CANCELLED'],
      SHIPPED: ['DELIVERED'],
      DELIVERED: [],
      CANCELLED: [],
    });
  });

  it('records a status change to CANCELLED as OrderCancelled', () => {
    const [event] = decide(orderIn('CONFIRMED'), { type: 'ChangeOrderStatus', ...meta('x'), orderId: 'order-001', status: 'CANCELLED' }, later);
    expect(event.eventType).toBe('OrderCancelled');
    expect(event.payload).toEqual({ previousStatus: 'CONFIRMED', reason: 'status set to CANCELLED' });
  });

  it('refuses a change to an order that does not exist', () => {
    const error = rejection(() => decide(undefined, { type: 'ChangeOrderStatus', ...meta('x'), orderId: 'nope', status: 'CONFIRMED' }, now));
    expect(error.code).toBe('ORDER_NOT_FOUND');
  });
});

describe('cancelling', () => {
  const cancel: CancelOrder = { type: 'CancelOrder', ...meta('cx'), orderId: 'order-001', reason: 'Customer requested cancellation' };

  it.each(['PENDING', 'CONFIRMED'] as const)('when the order is %s it records OrderCancelled with the reason', (status) => {
    const state = orderIn(status);
    const [event] = decide(state, cancel, later);
    expect(event).toMatchObject({ eventType: 'OrderCancelled', payload: { previousStatus: status, reason: 'Customer requested cancellation' } });
    expect(evolve(state, event)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'Customer requested cancellation' });
  });

  // The guide's handler would cancel a shipped order, contradicting its own table; the table wins.
  it.each(['SHIPPED', 'DELIVERED', 'CANCELLED'] as const)('when the order is %s it rejects the cancel', (status) => {
    expect(rejection(() => decide(orderIn(status), cancel, later)).code).toBe('INVALID_TRANSITION');
  });
});

describe('when the payment window expires', () => {
  const deadline = new Date('2026-03-01T12:30:00.000Z');
  const expiry = expirePaymentWindow('order-001', deadline);

  it('cancels a PENDING order, naming the system as the author and the window as the reason', () => {
    const state = orderIn('PENDING');
    const [event] = decide(state, expiry, later);
    expect(event).toMatchObject({
      eventType: 'OrderCancelled',
      version: 2,
      occurredAt: later.toISOString(),
      commandId: PAYMENT_WINDOW_COMMAND_ID,
      payload: { previousStatus: 'PENDING', reason: 'payment window expired at 2026-03-01T12:30:00.000Z' },
    });
    expect(PAYMENT_WINDOW_COMMAND_ID).toMatch(/^system:/);
    expect(evolve(state, event)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'payment window expired at 2026-03-01T12:30:00.000Z' });
  });

  // A confirmed order was paid; a cancelled or finished one has nothing left to pay.
  it.each(['CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const)('leaves a %s order as it is, with a refusal', (status) => {
    const error = rejection(() => decide(orderIn(status), expiry, later));
    expect(error.code).toBe('INVALID_TRANSITION');
    expect(error.message).toContain(`is ${status}: only a PENDING order's payment window can expire`);
  });

  it('refuses an order that does not exist', () => {
    expect(rejection(() => decide(undefined, expiry, later)).code).toBe('ORDER_NOT_FOUND');
  });
});

describe('evolve', () => {
  it('replays a history into the same state that decide built', () => {
    const events: OrderEvent[] = [];
    let state: OrderState | undefined;
    const commands = [
      create,
      { type: 'ChangeOrderStatus', ...meta('c2'), orderId: 'order-001', status: 'CONFIRMED' } as const,
      { type: 'CancelOrder', ...meta('c3'), orderId: 'order-001', reason: 'changed mind' } as const,
    ];
    for (const command of commands) {
      for (const event of decide(state, command, later)) {
        events.push(event);
        state = evolve(state, event);
      }
    }
    expect(given(...events)).toEqual(state);
    expect(events.map((event) => event.version)).toEqual([1, 2, 3]);
  });
});
