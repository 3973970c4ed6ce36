/**
 * The order workflow's messages, shared by the workflow and its callers. Updates answer
 * synchronously (their validator rejects a bad command before it enters history); signals are
 * fire-and-forget (a bad one is recorded as rejected and never applied).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import * as z from 'zod';
import { ORDER_SNAPSHOT, snapshot } from '../src/domain/order';
import type { CancelOrder, ChangeOrderStatus, CreateOrder, OrderSnapshot, OrderState, RecordedEvent } from '../src/domain/order';

/**
 * An Update's answer: the order after the command, and the events its caller is to append to the
 * event log before answering its own client.
 */
export type CommandAnswer = OrderSnapshot & { eventsToAppend: RecordedEvent[] };

/**
 * A caller's word that every event of the order up to `appendedThrough` (a version) is in the event
 * log and in every read model: the workflow need not deliver those itself. It rides on the next
 * command the caller sends the order, or comes alone (`eventsAppendedUpdate`) when none follows soon.
 */
export interface AppendReceipt {
  appendedThrough: number;
}

/**
 * An event the event log refused for good (a value it cannot store, a constraint it breaks): it
 * and the order's later events stay in the workflow until an operator has the cause fixed and asks
 * for a redelivery (`redeliverEventsSignal`).
 */
export interface EventRefusal {
  eventId: string;
  version: number;
  /** The event log's own words, e.g. `VIOLATED_CONSTRAINT: Constraint … is violated`. */
  reason: string;
}

export const createOrderUpdate = defineUpdate<CommandAnswer, [CreateOrder]>('createOrder');
export const changeOrderStatusUpdate = defineUpdate<CommandAnswer, [ChangeOrderStatus, AppendReceipt?]>('changeOrderStatus');
export const cancelOrderUpdate = defineUpdate<CommandAnswer, [CancelOrder, AppendReceipt?]>('cancelOrder');

export const createOrderSignal = defineSignal<[CreateOrder]>('createOrder');
export const changeOrderStatusSignal = defineSignal<[ChangeOrderStatus]>('changeOrderStatus');
export const cancelOrderSignal = defineSignal<[CancelOrder]>('cancelOrder');

export const eventsAppendedUpdate = defineUpdate<void, [AppendReceipt]>('eventsAppended');
/** The same receipt from an API process that is stopping (src/temporal/appendReceipts.ts says why). */
export const eventsAppendedSignal = defineSignal<[AppendReceipt]>('eventsAppended');
/** Delivers the events the event log refused again, now: an operator says the cause is fixed. */
export const redeliverEventsSignal = defineSignal('redeliverEvents');

/** The write model's current order, or null before it is created. */
export const getOrderQuery = defineQuery<OrderState | null>('getOrder');
/** The answer a command got, by its commandId: its snapshot, or the rejection of a signal. */
export const getCommandOutcomeQuery = defineQuery<CommandOutcome | null, [string]>('getCommandOutcome');

export const ORDER_STATUS_ATTRIBUTE = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const CUSTOMER_ID_ATTRIBUTE = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const ORDER_TOTAL_ATTRIBUTE = defineSearchAttributeKey('OrderTotal', SearchAttributeType.DOUBLE);

const { version, status, updatedAt } = ORDER_SNAPSHOT.shape;

/** What a command did, kept so that a repeated commandId gets the first answer again. */
export const COMMAND_OUTCOME = z.union([
  z.object({ commandId: z.string(), accepted: z.literal(true), version, status, updatedAt }),
  z.object({ commandId: z.string(), accepted: z.literal(false), code: z.string().meta({ description: 'Why it was refused' }), message: z.string() }),
]);
export type CommandOutcome = z.output<typeof COMMAND_OUTCOME>;

/** Everything the workflow carries across continue-as-new. */
export interface OrderWorkflowInput {
  orderId: string;
  state?: OrderState;
  /** Events recorded but not yet known to be in the event log, oldest first. */
  outbox?: RecordedEvent[];
  /** The event of the outbox the event log refused, holding it and those after it. */
  refusal?: EventRefusal;
  /** The most recent command outcomes, oldest first, bounded. */
  recentCommands?: CommandOutcome[];
  createCommandId?: string;
  /**
   * The payment window in milliseconds, fixed when the order's workflow starts: a PENDING order is
   * cancelled once this long has passed since its createdAt. Unset: no window.
   */
  paymentWindowMs?: number;
}

/**
 * What a finished order workflow returns: enough to answer a strong read and any later command
 * from its result alone, without replaying its history on a worker.
 */
export interface OrderWorkflowResult {
  state: OrderState | null;
  createCommandId?: string;
  recentCommands: CommandOutcome[];
}

/** The outcome a commandId got, from what the workflow keeps (in its state or its result). */
export function findOutcome(
  kept: { createdAt?: string; createCommandId?: string; recentCommands: CommandOutcome[] },
  commandId: string,
): CommandOutcome | undefined {
  if (kept.createdAt !== undefined && commandId === kept.createCommandId) {
    return { commandId, accepted: true, version: 1, status: 'PENDING', updatedAt: kept.createdAt };
  }
  return kept.recentCommands.find((outcome) => outcome.commandId === commandId);
}

/** A repeated command's answer: the order as that command left it. */
export function answerAgain(state: OrderState, outcome: CommandOutcome & { accepted: true }): OrderSnapshot {
  return { ...snapshot(state), status: outcome.status, updatedAt: outcome.updatedAt, version: outcome.version };
}

export function orderWorkflowId(orderId: string): string {
  return `order-${orderId}`;
}
