/**
 * The order workflow's messages, shared by the workflow and its callers. Updates answer
 * synchronously (their validator rejects a bad command before it enters history); signals are
 * fire-and-forget (a bad one is recorded as rejected and never applied).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { CancelOrder, ChangeOrderStatus, CreateOrder, OrderSnapshot, OrderState, RecordedEvent } from '../src/domain/order';

/**
 * An Update's answer: the order after the command, and the events its caller is to append to the
 * event log before answering its own client (absent from workflows that appended them themselves).
 */
export type CommandAnswer = OrderSnapshot & { eventsToAppend?: RecordedEvent[] };

/**
 * A caller's word that every event of the order up to `appendedThrough` (a version) is in the event
 * log and in every read model: the workflow need not deliver those itself. It rides on the next
 * command the caller sends the order, or comes alone (`eventsAppendedSignal`) when none will follow.
 */
export interface AppendReceipt {
  appendedThrough: number;
}

export const createOrderUpdate = defineUpdate<CommandAnswer, [CreateOrder]>('createOrder');
export const changeOrderStatusUpdate = defineUpdate<CommandAnswer, [ChangeOrderStatus, AppendReceipt?]>('changeOrderStatus');
export const cancelOrderUpdate = defineUpdate<CommandAnswer, [CancelOrder, AppendReceipt?]>('cancelOrder');

export const createOrderSignal = defineSignal<[CreateOrder]>('createOrder');
export const changeOrderStatusSignal = defineSignal<[ChangeOrderStatus]>('changeOrderStatus');
export const cancelOrderSignal = defineSignal<[CancelOrder]>('cancelOrder');
export const eventsAppendedSignal = defineSignal<[AppendReceipt]>('eventsAppended');

/** The write model's current order, or null before it is created. */
export const getOrderQuery = defineQuery<OrderSnapshot | null>('getOrder');
/** The answer a command got, by its commandId: its snapshot, or the rejection of a signal. */
export const getCommandOutcomeQuery = defineQuery<CommandOutcome | null, [string]>('getCommandOutcome');

export const ORDER_STATUS_ATTRIBUTE = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const CUSTOMER_ID_ATTRIBUTE = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const ORDER_TOTAL_ATTRIBUTE = defineSearchAttributeKey('OrderTotal', SearchAttributeType.DOUBLE);

/** What a command did, kept so that a repeated commandId gets the first answer again. */
export type CommandOutcome =
  | { commandId: string; accepted: true; version: number; status: OrderSnapshot['status']; updatedAt: string }
  | { commandId: string; accepted: false; code: string; message: string };

/** Everything the workflow carries across continue-as-new. */
export interface OrderWorkflowInput {
  orderId: string;
  state?: OrderState;
  /** Events recorded but not yet confirmed as written to the event log, oldest first. */
  outbox?: RecordedEvent[];
  /** The most recent command outcomes, oldest first, bounded. */
  recentCommands?: CommandOutcome[];
  createCommandId?: string;
  /**
   * Which behaviours of the workflow code this order started under (ORDER_WORKFLOW_REVISION when
   * the API started it; absent for orders begun before revisions). Fixed for an order's lifetime
   * and carried across continue-as-new, so its history replays the same way on any later code.
   * Unlike a patch marker, it costs the Temporal server nothing: the TypeScript SDK upserts the
   * TemporalChangeVersion search attribute with every patch, a visibility write per order.
   */
  revision?: number;
}

/**
 * 2: the caller appends an Update's events (no patch consulted), and the status search attribute
 * is upserted when the order settles. Orders without a revision consult the patches as before.
 */
export const ORDER_WORKFLOW_REVISION = 2;

/**
 * What a finished order workflow returns: enough to answer a strong read and a repeated command
 * from its result alone, without replaying its history on a worker.
 */
export interface OrderWorkflowResult {
  order: OrderSnapshot | null;
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

export function orderWorkflowId(orderId: string): string {
  return `order-${orderId}`;
}
