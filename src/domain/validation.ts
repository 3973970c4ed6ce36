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
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;
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

/**
 * The request bodies, declared once: the parsers below interpret these specs, and the OpenAPI
 * document (src/api/openapi.ts) is generated from them, so the contract and the checks cannot drift.
 */
export type FieldSpec = { required: boolean; description: string } & (
  | { kind: 'id' }
  | { kind: 'text'; maxLength: number }
  | { kind: 'quantity' }
  | { kind: 'price' }
  | { kind: 'status' }
  | { kind: 'list'; of: BodySpec; maxItems: number }
  | { kind: 'params' }
);

export interface BodySpec {
  fields: Record<string, FieldSpec>;
}

export const ORDER_LINE_BODY: BodySpec = {
  fields: {
    productId: { kind: 'id', required: true, description: 'The product' },
    productName: { kind: 'text', maxLength: LIMITS.nameMaxLength, required: false, description: 'A name to show; the product id otherwise' },
    quantity: { kind: 'quantity', required: true, description: 'Units, a positive integer' },
    price: { kind: 'price', required: true, description: 'Unit price, at most 2 decimals' },
  },
};

export const CREATE_ORDER_BODY: BodySpec = {
  fields: {
    orderId: { kind: 'id', required: true, description: "The client's id for the order; a second create of it answers 409" },
    customerId: { kind: 'id', required: true, description: 'The customer' },
    customerName: {
      kind: 'text',
      maxLength: LIMITS.nameMaxLength,
      required: false,
      description: 'The name to show; when left out, the name this customer last gave, or one made from the id',
    },
    items: { kind: 'list', of: ORDER_LINE_BODY, maxItems: LIMITS.maxItems, required: true, description: 'The order lines' },
  },
};

export const CHANGE_STATUS_BODY: BodySpec = {
  fields: {
    status: { kind: 'status', required: true, description: 'The status to move to; the state machine decides whether it may' },
    reason: { kind: 'text', maxLength: LIMITS.reasonMaxLength, required: false, description: 'Why (kept with a cancellation)' },
  },
};

export const CANCEL_BODY: BodySpec = {
  fields: {
    reason: { kind: 'text', maxLength: LIMITS.reasonMaxLength, required: true, description: 'Why the order is cancelled' },
  },
};

function readField(check: Checker, spec: FieldSpec, value: unknown, at: string): unknown {
  switch (spec.kind) {
    case 'id':
      return check.id(value, at);
    case 'text':
      return check.text(value, at, spec.maxLength, spec.required);
    case 'quantity':
      return check.quantity(value, at);
    case 'price':
      return check.price(value, at);
    case 'status':
      return check.status(value, at);
    case 'params':
      return value; // checked where it is used (src/clickhouse/analystSql.ts)
    case 'list': {
      if (value === undefined || value === null) return check.fail(at, 'is required');
      if (!Array.isArray(value)) return check.fail(at, 'must be an array');
      if (value.length === 0) return check.fail(at, 'must contain at least one item');
      if (value.length > spec.maxItems) return check.fail(at, `must contain at most ${spec.maxItems} items`);
      return value.map((item, index) => readObject(check, spec.of, item, `${at}[${index}]`));
    }
  }
}

/** Reads an object by its spec; prices come back in cents. Undefined when it is not an object. */
function readObject(check: Checker, spec: BodySpec, value: unknown, at: string): Json | undefined {
  const json = check.object(value, at || 'body');
  if (!json) return undefined;
  check.onlyKnownFields(json, Object.keys(spec.fields), at);
  const read: Json = {};
  for (const [name, field] of Object.entries(spec.fields)) read[name] = readField(check, field, json[name], at ? `${at}.${name}` : name);
  return read;
}

function toLines(check: Checker, items: unknown): OrderLine[] {
  if (!Array.isArray(items)) return [];
  const lines: OrderLine[] = [];
  for (const item of items as Array<Json | undefined>) {
    if (!item || item.productId === undefined || item.quantity === undefined || item.price === undefined) continue;
    const line: OrderLine = { productId: item.productId as string, quantity: item.quantity as number, unitPriceCents: item.price as number };
    if (item.productName !== undefined) line.productName = item.productName as string;
    lines.push(line);
  }
  const totalCents = lines.reduce((sum, line) => sum + lineTotalCents(line), 0);
  if (totalCents > MAX_AMOUNT_CENTS) check.fail('items', `the order total must be at most ${MAX_AMOUNT_CENTS / 100}`);
  return lines;
}

/** Validates the body of `POST /orders`. Throws a VALIDATION_FAILED DomainError listing every bad field. */
export function parseCreateOrderRequest(body: unknown): CreateOrderRequest {
  const check = new Checker();
  const json = readObject(check, CREATE_ORDER_BODY, body, '');
  if (!json) return check.done(undefined as never);
  const request: CreateOrderRequest = { orderId: json.orderId as string, customerId: json.customerId as string, items: toLines(check, json.items) };
  if (json.customerName !== undefined) request.customerName = json.customerName as string;
  return check.done(request);
}

/** Validates the body of `POST /orders/:orderId/status`. */
export function parseChangeStatusRequest(body: unknown): ChangeStatusRequest {
  const check = new Checker();
  const json = readObject(check, CHANGE_STATUS_BODY, body, '');
  if (!json) return check.done(undefined as never);
  const request: ChangeStatusRequest = { status: json.status as OrderStatus };
  if (json.reason !== undefined) request.reason = json.reason as string;
  return check.done(request);
}

/** Validates the body of `POST /orders/:orderId/cancel`. */
export function parseCancelRequest(body: unknown): CancelRequest {
  const check = new Checker();
  const json = readObject(check, CANCEL_BODY, body, '');
  if (!json) return check.done(undefined as never);
  return check.done({ reason: json.reason as string });
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
