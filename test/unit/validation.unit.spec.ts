import { DomainError } from '../../src/domain/errors';
import { averageAmount, centsFromDecimalString, centsFromNumber, exactAmount, toDecimalString } from '../../src/domain/money';
import { LIMITS, parseCancelRequest, parseChangeStatusRequest, parseCommandId, parseCreateOrderRequest, parseId } from '../../src/domain/validation';

const valid = { orderId: 'order-001', customerId: 'customer-123', items: [{ productId: 'prod-1', quantity: 2, price: 29.99 }] };

function fieldsRejected(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError && error.code === 'VALIDATION_FAILED') return error.fieldErrors.map((e) => e.field);
    throw error;
  }
  throw new Error('expected VALIDATION_FAILED, but the input was accepted');
}

describe('a create order request', () => {
  it('is accepted when well formed, prices turned into cents', () => {
    expect(parseCreateOrderRequest({ ...valid, customerName: '  Ada  ' })).toEqual({
      orderId: 'order-001',
      customerId: 'customer-123',
      customerName: 'Ada',
      items: [{ productId: 'prod-1', quantity: 2, unitPriceCents: 2999 }],
    });
  });

  it.each([
    ['a missing orderId', { ...valid, orderId: undefined }, 'orderId'],
    ['an empty orderId', { ...valid, orderId: '' }, 'orderId'],
    ['a numeric customerId', { ...valid, customerId: 42 }, 'customerId'],
    ['a missing customerId', { ...valid, customerId: undefined }, 'customerId'],
    ['an id with a slash', { ...valid, orderId: '../etc/passwd' }, 'orderId'],
    ['an id with a quote', { ...valid, orderId: "x' OR 1=1" }, 'orderId'],
    ['an id too long', { ...valid, orderId: 'a'.repeat(LIMITS.idMaxLength + 1) }, 'orderId'],
    ['no items', { ...valid, items: [] }, 'items'],
    ['items not a list', { ...valid, items: { productId: 'p' } }, 'items'],
    ['too many items', { ...valid, items: Array.from({ length: LIMITS.maxItems + 1 }, () => valid.items[0]) }, 'items'],
    ['a zero quantity', { ...valid, items: [{ productId: 'p', quantity: 0, price: 1 }] }, 'items[0].quantity'],
    ['a negative quantity', { ...valid, items: [{ productId: 'p', quantity: -1, price: 1 }] }, 'items[0].quantity'],
    ['a fractional quantity', { ...valid, items: [{ productId: 'p', quantity: 1.5, price: 1 }] }, 'items[0].quantity'],
    ['a quantity past 2^53', { ...valid, items: [{ productId: 'p', quantity: 2 ** 53 + 2, price: 1 }] }, 'items[0].quantity'],
    ['a quantity as a string', { ...valid, items: [{ productId: 'p', quantity: '2', price: 1 }] }, 'items[0].quantity'],
    ['a negative price', { ...valid, items: [{ productId: 'p', quantity: 1, price: -0.01 }] }, 'items[0].price'],
    ['a price with 3 decimals', { ...valid, items: [{ productId: 'p', quantity: 1, price: 1.005 }] }, 'items[0].price'],
    ['a price as a string', { ...valid, items: [{ productId: 'p', quantity: 1, price: '1.00' }] }, 'items[0].price'],
    ['a price too large', { ...valid, items: [{ productId: 'p', quantity: 1, price: 1e12 }] }, 'items[0].price'],
    ['a missing price', { ...valid, items: [{ productId: 'p', quantity: 1 }] }, 'items[0].price'],
    ['a missing productId', { ...valid, items: [{ quantity: 1, price: 1 }] }, 'items[0].productId'],
    ['an item that is not an object', { ...valid, items: [7] }, 'items[0]'],
    ['a blank customerName', { ...valid, customerName: '   ' }, 'customerName'],
    ['a customerName with control characters', { ...valid, customerName: 'Ada\u0000' }, 'customerName'],
    ['an unknown field', { ...valid, discount: 5 }, 'discount'],
  ])('names the field when given %s', (_case, body, field) => {
    expect(fieldsRejected(() => parseCreateOrderRequest(body))).toContain(field);
  });

  it('accepts a free item (price 0) and a price with 1 or 2 decimals', () => {
    const request = parseCreateOrderRequest({
      ...valid,
      items: [
        { productId: 'a', quantity: 1, price: 0 },
        { productId: 'b', quantity: 1, price: 0.1 },
        { productId: 'c', quantity: 1, price: 19.99 },
      ],
    });
    expect(request.items.map((item) => item.unitPriceCents)).toEqual([0, 10, 1999]);
  });

  it.each([NaN, Infinity, -Infinity])('refuses a price of %s', (price) => {
    expect(fieldsRejected(() => parseCreateOrderRequest({ ...valid, items: [{ productId: 'p', quantity: 1, price }] }))).toEqual(['items[0].price']);
  });

  it('reports every bad field at once', () => {
    expect(fieldsRejected(() => parseCreateOrderRequest({ orderId: '', customerId: '', items: [] }))).toEqual(['orderId', 'customerId', 'items']);
  });

  it.each([null, 'text', 42, [valid]])('refuses a body that is not an object: %p', (body) => {
    expect(fieldsRejected(() => parseCreateOrderRequest(body))).toEqual(['body']);
  });
});

describe('a status request', () => {
  it('accepts a known status', () => {
    expect(parseChangeStatusRequest({ status: 'SHIPPED' })).toEqual({ status: 'SHIPPED' });
  });
  it.each([undefined, '', 'shipped', 'LOST', 7])('refuses status %p', (status) => {
    expect(fieldsRejected(() => parseChangeStatusRequest({ status }))).toEqual(['status']);
  });
});

describe('a cancel request', () => {
  it('needs a reason', () => {
    expect(fieldsRejected(() => parseCancelRequest({}))).toEqual(['reason']);
    expect(fieldsRejected(() => parseCancelRequest({ reason: ' ' }))).toEqual(['reason']);
    expect(fieldsRejected(() => parseCancelRequest({ reason: 'x'.repeat(LIMITS.reasonMaxLength + 1) }))).toEqual(['reason']);
    expect(parseCancelRequest({ reason: ' changed my mind ' })).toEqual({ reason: 'changed my mind' });
  });
});

describe('ids and keys', () => {
  it('accepts the guide ids and refuses traversal and metacharacters', () => {
    expect(parseId('order-001', 'orderId')).toBe('order-001');
    for (const bad of ['..', '.hidden', 'a/b', 'a b', "a'b", 'a;b', '%2e%2e', 'ä']) {
      expect(fieldsRejected(() => parseId(bad, 'orderId'))).toEqual(['orderId']);
    }
  });
  it('accepts any printable idempotency key up to 128 characters', () => {
    expect(parseCommandId('7f9c-key with spaces')).toBe('7f9c-key with spaces');
    expect(fieldsRejected(() => parseCommandId('k'.repeat(129)))).toEqual(['Idempotency-Key']);
    expect(fieldsRejected(() => parseCommandId('a\nb'))).toEqual(['Idempotency-Key']);
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
