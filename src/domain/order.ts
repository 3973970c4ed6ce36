/**
 * The order's rules in one pure module: `decide` (command → events or a rejection) and `evolve`
 * (state + event → state), over the status state machine (`status.ts`) and the command schemas
 * (`commands.ts`), which it re-exports. The workflow, its update validators and the API all import
 * this file, so a rule changes in one place. Time comes in as an argument.
 */
import * as z from 'zod';
import { DomainError, parseFields } from './errors';
import { toAmount } from './money';
import { COMMAND_SCHEMAS, commandSchemas, lineTotalCents } from './commands';
import type { CancelOrder, ChangeOrderStatus, ClientCommand, CommandMeta, CreateOrder, ExpirePaymentWindow, OrderCommand, OrderLine } from './commands';
import { ALLOWED_TRANSITIONS, awaitsPayment, canTransition, OrderStatus } from './status';

export * from './status';
export { expirePaymentWindow, lineTotalCents, PAYMENT_WINDOW_COMMAND_ID, SYSTEM_COMMAND_ID_PREFIX } from './commands';
export type { CancelOrder, ChangeOrderStatus, ClientCommand, CommandMeta, CreateOrder, ExpirePaymentWindow, OrderCommand, OrderLine } from './commands';

/** A line item as it is shown and stored in events: the price as a decimal amount. */
export const ORDER_ITEM = z.object({ productId: z.string(), productName: z.string().optional(), quantity: z.int().min(1), price: z.number() });
export type OrderItem = z.output<typeof ORDER_ITEM>;

interface Envelope<Type extends string, Payload> {
  /** Deterministic: `<orderId>:<version>`, so a redelivered event is recognised. */
  eventId: string;
  eventType: Type;
  schemaVersion: 1;
  orderId: string;
  version: number;
  /** Workflow time, ISO 8601 in UTC. */
  occurredAt: string;
  commandId: string;
  correlationId: string;
  payload: Payload;
}

export type OrderCreated = Envelope<
  'OrderCreated',
  { customerId: string; customerName: string; customerNameGiven: boolean; items: OrderItem[]; total: number }
>;
export type OrderStatusChanged = Envelope<'OrderStatusChanged', { oldStatus: OrderStatus; newStatus: OrderStatus }>;
export type OrderCancelled = Envelope<'OrderCancelled', { previousStatus: OrderStatus; reason: string }>;
export type OrderEvent = OrderCreated | OrderStatusChanged | OrderCancelled;

/** The write model of one order. */
export interface OrderState {
  orderId: string;
  customerId: string;
  customerName: string;
  /** False when the service filled the name in (see CreateOrder). */
  customerNameGiven: boolean;
  items: OrderLine[];
  totalCents: number;
  status: OrderStatus;
  createdAt: string;
  updatedAt: string;
  version: number;
  cancellationReason?: string;
}

/** An instant as the answers write it: an ISO 8601 date-time with its offset. */
export const INSTANT = z.iso.datetime({ offset: true });

/** The order as a command response shows it (README.md, "The API"). */
export const ORDER_SNAPSHOT = z.object({
  orderId: z.string(),
  customerId: z.string(),
  customerName: z.string(),
  itemCount: z.int().min(1).meta({ description: 'The number of line items' }),
  total: z.number(),
  status: COMMAND_SCHEMAS.ORDER_STATUS,
  createdAt: INSTANT,
  updatedAt: INSTANT,
  version: z.int().min(1).meta({ description: 'One per event; read models catch up to it' }),
  items: z.array(ORDER_ITEM),
});
export type OrderSnapshot = z.output<typeof ORDER_SNAPSHOT>;

/** The order as it stands after an event, as the event log carries it beside the event. */
export interface OrderAfterEvent {
  customerId: string;
  customerName: string;
  customerNameGiven: boolean;
  itemCount: number;
  totalCents: number;
  status: OrderStatus;
  createdAt: string;
}

/**
 * An event with the order it leaves behind. The log stores both, so that every read model is a
 * plain copy of the latest row per order, sorted for its query, and needs no join or replay.
 */
export interface RecordedEvent {
  event: OrderEvent;
  order: OrderAfterEvent;
}

export function recorded(event: OrderEvent, after: OrderState): RecordedEvent {
  return {
    event,
    order: {
      customerId: after.customerId,
      customerName: after.customerName,
      customerNameGiven: after.customerNameGiven,
      itemCount: after.items.length,
      totalCents: after.totalCents,
      status: after.status,
      createdAt: after.createdAt,
    },
  };
}

export const DEFAULT_CANCEL_REASON = 'status set to CANCELLED';

export function toItem(line: OrderLine): OrderItem {
  const item: OrderItem = { productId: line.productId, quantity: line.quantity, price: toAmount(line.unitPriceCents) };
  if (line.productName !== undefined) item.productName = line.productName;
  return item;
}

function toLine(item: OrderItem): OrderLine {
  const line: OrderLine = { productId: item.productId, quantity: item.quantity, unitPriceCents: Math.round(item.price * 100) };
  if (item.productName !== undefined) line.productName = item.productName;
  return line;
}

export function snapshot(state: OrderState): OrderSnapshot {
  return {
    orderId: state.orderId,
    customerId: state.customerId,
    customerName: state.customerName,
    items: state.items.map(toItem),
    itemCount: state.items.length,
    total: toAmount(state.totalCents),
    status: state.status,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    version: state.version,
  };
}

function envelope<T extends OrderEvent['eventType']>(eventType: T, orderId: string, version: number, command: CommandMeta, now: Date) {
  return {
    eventId: `${orderId}:${version}`,
    eventType,
    schemaVersion: 1 as const,
    orderId,
    version,
    occurredAt: now.toISOString(),
    commandId: command.commandId,
    correlationId: command.correlationId,
  };
}

function invalidTransition(state: OrderState, to: OrderStatus): DomainError {
  const allowed = ALLOWED_TRANSITIONS[state.status];
  const hint = allowed.length === 0 ? `${state.status} is final` : `allowed: ${allowed.join(', ')}`;
  return new DomainError('INVALID_TRANSITION', `order ${state.orderId} cannot go from ${state.status} to ${to} (${hint})`);
}

/**
 * The schemas `readCommand` and `decide` parse with: a set of this module's own, never exported.
 * A worker builds this module once and shares it among all its workflows (the preloaded modules
 * in temporal/worker.ts); its sandbox freezes whatever shared modules export, while zod completes
 * a schema's internals the first time the schema parses, which a frozen schema cannot take.
 */
const { CLIENT_COMMAND, ORDER_COMMAND } = commandSchemas();

/** A command naming another order than `orderId` (when known) is not this order's. */
function refuseAnotherOrder(command: OrderCommand, orderId: string | undefined): void {
  if (orderId !== undefined && command.orderId !== orderId) {
    throw new DomainError('VALIDATION_FAILED', `orderId: ${command.orderId} is not this order (${orderId})`, [
      { field: 'orderId', message: `is not this order (${orderId})` },
    ]);
  }
}

/**
 * Reads a command a client sent (any Temporal client can send one) with the command schemas
 * (`commands.ts`): only a command a client may send, and none naming another order than
 * `orderId`, when known.
 */
export function readCommand(untrusted: unknown, orderId: string | undefined): ClientCommand {
  const command = parseFields(CLIENT_COMMAND, untrusted, 'command');
  refuseAnotherOrder(command, orderId);
  return command;
}

/**
 * Decides what a command does to an order: the events it records, or a DomainError saying why not.
 * The command comes from outside, so it is checked against the command schemas first, then judged
 * against the state.
 */
export function decide(state: OrderState | undefined, untrusted: unknown, now: Date): OrderEvent[] {
  const command = parseFields(ORDER_COMMAND, untrusted, 'command');
  refuseAnotherOrder(command, state?.orderId);
  switch (command.type) {
    case 'CreateOrder':
      return [create(state, command, now)];
    case 'ChangeOrderStatus':
      return [changeStatus(existing(state, command), command, now)];
    case 'CancelOrder':
      return [cancel(existing(state, command), command, now)];
    case 'ExpirePaymentWindow':
      return [expirePayment(existing(state, command), command, now)];
    default: {
      const unknown: never = command;
      throw new DomainError('VALIDATION_FAILED', `unknown command ${(unknown as { type: string }).type}`);
    }
  }
}

function create(state: OrderState | undefined, command: CreateOrder, now: Date): OrderCreated {
  if (state) throw new DomainError('ORDER_ALREADY_EXISTS', `order ${command.orderId} already exists`);
  const totalCents = command.items.reduce((sum, line) => sum + lineTotalCents(line), 0);
  return {
    ...envelope('OrderCreated', command.orderId, 1, command, now),
    payload: {
      customerId: command.customerId,
      customerName: command.customerName,
      customerNameGiven: command.customerNameGiven,
      items: command.items.map(toItem),
      total: toAmount(totalCents),
    },
  };
}

/** Setting the status to CANCELLED is a cancellation, recorded as one. */
function changeStatus(state: OrderState, command: ChangeOrderStatus, now: Date): OrderStatusChanged | OrderCancelled {
  if (!canTransition(state.status, command.status)) throw invalidTransition(state, command.status);
  if (command.status === 'CANCELLED') return cancelled(state, command, command.reason ?? DEFAULT_CANCEL_REASON, now);
  return {
    ...envelope('OrderStatusChanged', state.orderId, state.version + 1, command, now),
    payload: { oldStatus: state.status, newStatus: command.status },
  };
}

function cancel(state: OrderState, command: CancelOrder, now: Date): OrderCancelled {
  if (!canTransition(state.status, 'CANCELLED')) throw invalidTransition(state, 'CANCELLED');
  return cancelled(state, command, command.reason, now);
}

function expirePayment(state: OrderState, command: ExpirePaymentWindow, now: Date): OrderCancelled {
  if (!awaitsPayment(state.status)) {
    throw new DomainError('INVALID_TRANSITION', `order ${state.orderId} is ${state.status}: only a PENDING order's payment window can expire`);
  }
  return cancelled(state, command, `payment window expired at ${command.deadline}`, now);
}

/** The order a command other than CreateOrder acts on: it must exist. */
function existing(state: OrderState | undefined, command: OrderCommand): OrderState {
  if (!state) throw new DomainError('ORDER_NOT_FOUND', `order ${command.orderId} does not exist`);
  return state;
}

function cancelled(state: OrderState, command: CommandMeta, reason: string, now: Date): OrderCancelled {
  return {
    ...envelope('OrderCancelled', state.orderId, state.version + 1, command, now),
    payload: { previousStatus: state.status, reason },
  };
}

/** Applies one recorded event to the state. Events are facts: nothing here can reject them. */
export function evolve(state: OrderState | undefined, event: OrderEvent): OrderState {
  switch (event.eventType) {
    case 'OrderCreated':
      return {
        orderId: event.orderId,
        customerId: event.payload.customerId,
        customerName: event.payload.customerName,
        customerNameGiven: event.payload.customerNameGiven,
        items: event.payload.items.map(toLine),
        totalCents: Math.round(event.payload.total * 100),
        status: 'PENDING',
        createdAt: event.occurredAt,
        updatedAt: event.occurredAt,
        version: event.version,
      };
    case 'OrderStatusChanged':
      return { ...requireState(state, event), status: event.payload.newStatus, updatedAt: event.occurredAt, version: event.version };
    case 'OrderCancelled':
      return {
        ...requireState(state, event),
        status: 'CANCELLED',
        cancellationReason: event.payload.reason,
        updatedAt: event.occurredAt,
        version: event.version,
      };
    default: {
      const unknown: never = event;
      throw new Error(`unknown event ${(unknown as { eventType: string }).eventType}`);
    }
  }
}

/** The order as these events, in version order, leave it: undefined before its first. */
export function stateAfter(events: readonly OrderEvent[]): OrderState | undefined {
  return events.reduce<OrderState | undefined>((state, event) => evolve(state, event), undefined);
}

function requireState(state: OrderState | undefined, event: OrderEvent): OrderState {
  if (!state) throw new Error(`${event.eventType} ${event.eventId} arrived before the order was created`);
  return state;
}
