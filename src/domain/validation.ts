/**
 * Turns untrusted request bodies into well-formed commands, naming the field of every problem.
 * The same functions guard the HTTP API and the workflow's update validators.
 */
import { FieldError, validationFailed } from './errors';
import { centsFromNumber, MAX_AMOUNT_CENTS } from './money';
import { isOrderStatus, lineTotalCents, ORDER_STATUSES, OrderLine, OrderStatus } from './order';

/** The documented bounds of the API (README, "Limits"). */
export const LIMITS = {
  idMaxLength: 128,
  nameMaxLength: 200,
  reasonMaxLength: 500,
  maxItems: 500,
  maxQuantity: 1_000_000,
  maxPriceCents: 100_000_000,
  maxPageSize: 200,
  defaultPageSize: 50,
  maxBodyBytes: 1024 * 1024,
} as const;

/** Ids are short and printable: letters, digits and `. _ : @ -`, starting with a letter or digit. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export interface CreateOrderRequest {
  orderId: string;
  customerId: string;
  customerName?: string;
  items: OrderLine[];
}

export interface ChangeStatusRequest {
  status: OrderStatus;
  reason?: string;
}

export interface CancelRequest {
  reason: string;
}

type Json = Record<string, unknown>;

class Checker {
  readonly errors: FieldError[] = [];

  fail(field: string, message: string): undefined {
    this.errors.push({ field, message });
    return undefined;
  }

  object(value: unknown, field: string): Json | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.fail(field, 'must be a JSON object');
    return value as Json;
  }

  onlyKnownFields(value: Json, known: readonly string[], prefix: string): void {
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) this.fail(prefix ? `${prefix}.${key}` : key, 'is not a known field');
    }
  }

  id(value: unknown, field: string): string | undefined {
    if (value === undefined || value === null || value === '') return this.fail(field, 'is required');
    if (typeof value !== 'string') return this.fail(field, 'must be a string');
    if (value.length > LIMITS.idMaxLength) return this.fail(field, `must be at most ${LIMITS.idMaxLength} characters`);
    if (!ID_PATTERN.test(value)) {
      return this.fail(field, 'may contain only letters, digits and . _ : @ -, and must start with a letter or digit');
    }
    return value;
  }

  text(value: unknown, field: string, maxLength: number, required: boolean): string | undefined {
    if (value === undefined || value === null) return required ? this.fail(field, 'is required') : undefined;
    if (typeof value !== 'string') return this.fail(field, 'must be a string');
    const trimmed = value.trim();
    if (trimmed === '') return required ? this.fail(field, 'must not be empty') : this.fail(field, 'must not be blank when given');
    if (trimmed.length > maxLength) return this.fail(field, `must be at most ${maxLength} characters`);
    if (CONTROL_CHARACTERS.test(trimmed)) return this.fail(field, 'must not contain control characters');
    return trimmed;
  }

  quantity(value: unknown, field: string): number | undefined {
    if (value === undefined || value === null) return this.fail(field, 'is required');
    if (typeof value !== 'number' || !Number.isInteger(value)) return this.fail(field, 'must be a positive integer');
    if (value < 1) return this.fail(field, 'must be a positive integer');
    if (value > LIMITS.maxQuantity) return this.fail(field, `must be at most ${LIMITS.maxQuantity}`);
    return value;
  }

  price(value: unknown, field: string): number | undefined {
    if (value === undefined || value === null) return this.fail(field, 'is required');
    if (typeof value !== 'number') return this.fail(field, 'must be a number');
    if (value < 0) return this.fail(field, 'must not be negative');
    const cents = centsFromNumber(value);
    if (cents === undefined) return this.fail(field, 'must have at most 2 decimals');
    if (cents > LIMITS.maxPriceCents) return this.fail(field, `must be at most ${LIMITS.maxPriceCents / 100}`);
    return cents;
  }

  status(value: unknown, field: string): OrderStatus | undefined {
    if (value === undefined || value === null || value === '') return this.fail(field, 'is required');
    if (!isOrderStatus(value)) return this.fail(field, `must be one of ${ORDER_STATUSES.join(', ')}`);
    return value;
  }

  done<T>(value: T): T {
    if (this.errors.length > 0) throw validationFailed(this.errors);
    return value;
  }
}

function parseItems(check: Checker, value: unknown): OrderLine[] {
  if (value === undefined || value === null) return check.fail('items', 'is required') ?? [];
  if (!Array.isArray(value)) return check.fail('items', 'must be an array') ?? [];
  if (value.length === 0) return check.fail('items', 'must contain at least one item') ?? [];
  if (value.length > LIMITS.maxItems) return check.fail('items', `must contain at most ${LIMITS.maxItems} items`) ?? [];
  const lines: OrderLine[] = [];
  value.forEach((raw, index) => {
    const at = `items[${index}]`;
    const item = check.object(raw, at);
    if (!item) return;
    check.onlyKnownFields(item, ['productId', 'productName', 'quantity', 'price'], at);
    const productId = check.id(item.productId, `${at}.productId`);
    const productName = check.text(item.productName, `${at}.productName`, LIMITS.nameMaxLength, false);
    const quantity = check.quantity(item.quantity, `${at}.quantity`);
    const unitPriceCents = check.price(item.price, `${at}.price`);
    if (productId === undefined || quantity === undefined || unitPriceCents === undefined) return;
    const line: OrderLine = { productId, quantity, unitPriceCents };
    if (productName !== undefined) line.productName = productName;
    lines.push(line);
  });
  const totalCents = lines.reduce((sum, line) => sum + lineTotalCents(line), 0);
  if (totalCents > MAX_AMOUNT_CENTS) check.fail('items', `the order total must be at most ${MAX_AMOUNT_CENTS / 100}`);
  return lines;
}

/** Validates the body of `POST /orders`. Throws a VALIDATION_FAILED DomainError listing every bad field. */
export function parseCreateOrderRequest(body: unknown): CreateOrderRequest {
  const check = new Checker();
  const json = check.object(body, 'body');
  if (!json) return check.done(undefined as never);
  check.onlyKnownFields(json, ['orderId', 'customerId', 'customerName', 'items'], '');
  const orderId = check.id(json.orderId, 'orderId');
  const customerId = check.id(json.customerId, 'customerId');
  const customerName = check.text(json.customerName, 'customerName', LIMITS.nameMaxLength, false);
  const items = parseItems(check, json.items);
  const request: CreateOrderRequest = { orderId: orderId!, customerId: customerId!, items };
  if (customerName !== undefined) request.customerName = customerName;
  return check.done(request);
}

/** Validates the body of `POST /orders/:orderId/status`. */
export function parseChangeStatusRequest(body: unknown): ChangeStatusRequest {
  const check = new Checker();
  const json = check.object(body, 'body');
  if (!json) return check.done(undefined as never);
  check.onlyKnownFields(json, ['status', 'reason'], '');
  const status = check.status(json.status, 'status');
  const reason = check.text(json.reason, 'reason', LIMITS.reasonMaxLength, false);
  const request: ChangeStatusRequest = { status: status! };
  if (reason !== undefined) request.reason = reason;
  return check.done(request);
}

/** Validates the body of `POST /orders/:orderId/cancel`. */
export function parseCancelRequest(body: unknown): CancelRequest {
  const check = new Checker();
  const json = check.object(body, 'body');
  if (!json) return check.done(undefined as never);
  check.onlyKnownFields(json, ['reason'], '');
  const reason = check.text(json.reason, 'reason', LIMITS.reasonMaxLength, true);
  return check.done({ reason: reason! });
}

/** Validates one id outside a body (a path segment, a query parameter). */
export function parseId(value: unknown, field: string): string {
  const check = new Checker();
  const id = check.id(value, field);
  return check.done(id!);
}

/** Validates an Idempotency-Key / commandId: printable, at most 128 characters. */
export function parseCommandId(value: unknown, field = 'Idempotency-Key'): string {
  const check = new Checker();
  const id = check.text(value, field, LIMITS.idMaxLength, true);
  return check.done(id!);
}
