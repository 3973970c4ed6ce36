/**
 * The order's command schemas, as `decide` applies them to whatever a caller sends: the API, the
 * CLI or any Temporal client. A refusal is VALIDATION_FAILED naming each bad field.
 */
import { DomainError } from '../../src/domain/errors';
import { averageAmount, centsFromDecimalString, centsFromNumber, exactAmount, toDecimalString } from '../../src/domain/money';
import { CreateOrder, decide, evolve, expirePaymentWindow, readCommand } from '../../src/domain/order';
import { LIMITS } from '../../src/domain/commands';

const now = new Date('2026-03-01T12:00:00.000Z');

const create = (changes: Record<string, unknown> = {}): CreateOrder =>
  ({
    type: 'CreateOrder',
    commandId: 'cmd-1',
    correlationId: 'corr-1',
    orderId: 'order-001',
    customerId: 'customer-123',
    customerName: 'Ada',
    customerNameGiven: true,
    items: [{ productId: 'prod-1', quantity: 2, unitPriceCents: 2999 }],
    ...changes,
  }) as CreateOrder;

const line = (changes: Record<string, unknown>) => ({ productId: 'p', quantity: 1, unitPriceCents: 100, ...changes });

function refusal(command: unknown, state = undefined as Parameters<typeof decide>[0]): DomainError {
  try {
    decide(state, command, now);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal, but the command was accepted');
}

const refusedFields = (command: unknown) => {
  const error = refusal(command);
  expect(error.code).toBe('VALIDATION_FAILED');
  return Object.fromEntries(error.fieldErrors.map(({ field, message }) => [field, message]));
};

describe('a create command', () => {
  it('is accepted when well formed, its names trimmed of surrounding spaces', () => {
    const [created] = decide(undefined, create({ customerName: '\u00a0 Ada Lovelace  ' }), now);
    expect(created).toMatchObject({ eventType: 'OrderCreated', payload: { customerName: 'Ada Lovelace', total: 59.98 } });
  });

  it.each([
    ['a negative quantity', { items: [line({ quantity: -1 })] }, 'items[0].quantity', 'must be a positive integer'],
    ['a fractional quantity', { items: [line({ quantity: 1.5 })] }, 'items[0].quantity', 'must be a positive integer'],
    ['a quantity as a string', { items: [line({ quantity: '2' })] }, 'items[0].quantity', 'must be a number'],
    ['a quantity past the limit', { items: [line({ quantity: LIMITS.maxQuantity + 1 })] }, 'items[0].quantity', 'must be at most 1000000'],
    ['a negative price', { items: [line({ unitPriceCents: -1 })] }, 'items[0].unitPriceCents', 'must not be negative'],
    ['a price in fractions of a cent', { items: [line({ unitPriceCents: 0.5 })] }, 'items[0].unitPriceCents', 'must be a whole number of cents'],
    ['no items', { items: [] }, 'items', 'must contain at least one item'],
    ['too many items', { items: Array.from({ length: LIMITS.maxItems + 1 }, () => line({})) }, 'items', 'must contain at most 500 items'],
    ['an empty orderId', { orderId: '' }, 'orderId', 'is required'],
    ['a missing customerId', { customerId: undefined }, 'customerId', 'is required'],
    ['an id with a slash', { orderId: '../etc/passwd' }, 'orderId', 'may contain only letters, digits and . _ : @ -, and must start with a letter or digit'],
    ['an id too long', { orderId: 'a'.repeat(LIMITS.idMaxLength + 1) }, 'orderId', 'must be at most 128 characters'],
    ['a blank name', { customerName: ' \u3000 ' }, 'customerName', 'must not be empty'],
    ['a name with a NUL', { customerName: 'Ada\u0000' }, 'customerName', 'must not contain control characters'],
    ['a name with a C1 control (NEL)', { customerName: 'Ada\u0085' }, 'customerName', 'must not contain control characters'],
    ['a name with a lone surrogate', { customerName: 'a\ud800b' }, 'customerName', 'must be well-formed Unicode (no lone surrogates)'],
    [
      'a product name with a lone low surrogate',
      { items: [line({ productName: '\udc00' })] },
      'items[0].productName',
      'must be well-formed Unicode (no lone surrogates)',
    ],
    ['a name of 201 code points', { customerName: '😀'.repeat(201) }, 'customerName', 'must be at most 200 characters'],
    ['a null name', { customerName: null }, 'customerName', 'must be a string'],
    ['an unknown field', { discount: 5 }, 'discount', 'is not a known field'],
    ['an unknown field on a line', { items: [line({ colour: 'red' })] }, 'items[0].colour', 'is not a known field'],
    ['a correlation id with spaces', { correlationId: 'a b' }, 'correlationId', 'must be 1 to 128 letters, digits or . _ : -'],
    ['a command id with a newline', { commandId: 'a\nb' }, 'commandId', 'must not contain control characters'],
  ])('is refused with %s, naming the field', (_case, changes, field, message) => {
    expect(refusedFields(create(changes))).toEqual({ [field]: message });
  });

  it('counts lengths in code points: 200 emoji are a valid name', () => {
    const [created] = decide(undefined, create({ customerName: '😀'.repeat(200) }), now);
    expect(created.eventType).toBe('OrderCreated');
  });

  it('accepts awkward but valid text: combining marks, right-to-left, quotes, backslashes', () => {
    const name = 'Zoë e\u0301 \u05e9\u05dc\u05d5\u05dd "quoted" \\back\\slash\\ \u{1f468}\u200d\u{1f469}\u200d\u{1f467}';
    const [created] = decide(undefined, create({ customerName: name }), now);
    expect(created).toMatchObject({ payload: { customerName: name } });
  });

  it('refuses an order whose total the event log cannot hold', () => {
    const lines = Array.from({ length: 20 }, () => line({ quantity: LIMITS.maxQuantity, unitPriceCents: LIMITS.maxPriceCents }));
    expect(refusedFields(create({ items: lines }))).toEqual({ items: 'the order total must be at most 9999999999999.99' });
  });

  it('reports every bad field at once', () => {
    expect(Object.keys(refusedFields(create({ orderId: '', customerId: '', items: [] })))).toEqual(['orderId', 'customerId', 'items']);
  });
});

describe('any command', () => {
  it.each([null, 'CreateOrder', 42, []])('is refused when it is not an object: %p', (command) => {
    expect(refusedFields(command)).toEqual({ command: 'must be a JSON object' });
  });

  it('is refused with an unknown type', () => {
    expect(refusedFields({ ...create(), type: 'DeleteOrder' })).toEqual({
      type: 'must be one of CreateOrder, ChangeOrderStatus, CancelOrder, ExpirePaymentWindow',
    });
  });

  it("is refused from a client when it is one only the order's workflow sends: its payment window's expiry", () => {
    const expiry = expirePaymentWindow('order-001', now);
    expect(() => readCommand(expiry, 'order-001')).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', message: 'type: must be one of CreateOrder, ChangeOrderStatus, CancelOrder' }),
    );
  });

  it("is refused from a client under a command id the system keeps for its own, and the system's expiry is not", () => {
    const underSystemId = { type: 'CancelOrder', commandId: 'system:payment-window-expired', correlationId: 'c', orderId: 'order-001', reason: 'x' };
    expect(() => readCommand(underSystemId, 'order-001')).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', message: "commandId: must not start with system: (the service's own commands use it)" }),
    );
    expect(refusedFields({ ...create(), commandId: '\u00a0system:x' })).toEqual({
      commandId: "must not start with system: (the service's own commands use it)",
    });
    const state = evolve(undefined, decide(undefined, create(), now)[0]);
    expect(decide(state, expirePaymentWindow('order-001', now), now)).toMatchObject([
      { eventType: 'OrderCancelled', commandId: 'system:payment-window-expired' },
    ]);
    expect(readCommand(create({ commandId: 'System:mine' }), 'order-001')).toMatchObject({ commandId: 'System:mine' });
  });

  it('is refused when it names another order than the one it is sent to', () => {
    const state = evolve(undefined, decide(undefined, create(), now)[0]);
    const error = refusal({ type: 'CancelOrder', commandId: 'c2', correlationId: 'c2', orderId: 'order-002', reason: 'x' }, state);
    expect(error.fieldErrors).toEqual([{ field: 'orderId', message: 'is not this order (order-001)' }]);
  });

  it('is refused when it creates another order than the one it is read for, before that order exists', () => {
    expect(() => readCommand(create(), 'order-002')).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', message: 'orderId: order-001 is not this order (order-002)' }),
    );
    expect(readCommand(create(), 'order-001')).toMatchObject({ type: 'CreateOrder', orderId: 'order-001' });
  });
});

describe('a status change or a cancellation', () => {
  const state = evolve(undefined, decide(undefined, create(), now)[0]);
  const meta = { commandId: 'c2', correlationId: 'c2', orderId: 'order-001' };

  it.each([undefined, '', 'shipped', 'LOST', 7])('refuses status %p', (status) => {
    expect(refusedFields({ type: 'ChangeOrderStatus', ...meta, status })).toEqual({
      status: status === undefined ? 'is required' : 'must be one of PENDING, CONFIRMED, SHIPPED, DELIVERED, CANCELLED',
    });
  });

  it('needs a reason to cancel, of at most 500 characters, and keeps it trimmed', () => {
    expect(refusedFields({ type: 'CancelOrder', ...meta })).toEqual({ reason: 'is required' });
    expect(refusedFields({ type: 'CancelOrder', ...meta, reason: 'x'.repeat(LIMITS.reasonMaxLength + 1) })).toEqual({
      reason: 'must be at most 500 characters',
    });
    const [cancelled] = decide(state, { type: 'CancelOrder', ...meta, reason: ' changed my mind ' }, now);
    expect(cancelled).toMatchObject({ eventType: 'OrderCancelled', payload: { reason: 'changed my mind' } });
  });
});

describe('money', () => {
  it('converts between amounts, cents and decimal text exactly', () => {
    expect(centsFromNumber(29.99)).toBe(2999);
    expect(centsFromNumber(0.1)).toBe(10);
    expect(centsFromNumber(1.005)).toBeUndefined();
    expect(centsFromNumber(-1)).toBeUndefined();
    expect(centsFromDecimalString('109.97')).toBe(10997);
    expect(centsFromDecimalString('3.5')).toBe(350);
    expect(centsFromDecimalString('-0.07')).toBe(-7);
    expect(toDecimalString(10997)).toBe('109.97');
    expect(toDecimalString(5)).toBe('0.05');
    expect((2 * 2999 + 4999) / 100).toBe(109.97);
  });
  it('averages to the cent, as the guide prints it: 299.93 / 3 = 99.98', () => {
    expect(averageAmount(exactAmount('299.93'), 3).toString()).toBe('99.98');
    expect(averageAmount(exactAmount('0.05'), 2).toString()).toBe('0.03');
    expect(averageAmount(exactAmount('0'), 0).toString()).toBe('0');
    // Past 2^53 cents, where a double would round.
    expect(averageAmount(exactAmount('119999999999999.88'), 3).toString()).toBe('39999999999999.96');
  });
});
