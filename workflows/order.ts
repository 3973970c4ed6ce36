/**
 * One workflow per order: the write model. Its parts, each in a file of its own:
 * - OrderEntity (orderEntity.ts): the order's state and the answers it gave, built by the domain;
 * - Outbox (outbox.ts): its events until they are known to be in the event log;
 * - visibility.ts: what the Temporal Web UI shows of it;
 * - paymentWindow.ts: the durable timer that cancels an order left PENDING past its deadline.
 * Commands arrive as Updates (answered with the order and the events the caller is to append) or
 * Signals. The workflow finishes once the order is terminal and its outbox is empty.
 */
import { allHandlersFinished, condition, continueAsNew, log, setHandler, workflowInfo } from '@temporalio/workflow';
import { DomainError } from '../src/domain/errors';
import type { ClientCommand } from '../src/domain/order';
import {
  AppendReceipt,
  cancelOrderSignal,
  cancelOrderUpdate,
  changeOrderStatusSignal,
  changeOrderStatusUpdate,
  CommandAnswer,
  createOrderSignal,
  createOrderUpdate,
  eventsAppendedSignal,
  eventsAppendedUpdate,
  getCommandOutcomeQuery,
  getOrderQuery,
  OrderWorkflowInput,
  OrderWorkflowResult,
  redeliverEventsSignal,
} from './messages';
import { Applied, asFailure, OrderEntity } from './orderEntity';
import { Outbox } from './outbox';
import { closePaymentWindow } from './paymentWindow';
import { publishStatus, showDetails } from './visibility';

/**
 * How long the outbox waits for a receipt for its oldest event before delivering it itself. The
 * API appends a command's events within 2 s of its answer or gives up; this comes after that, so a
 * delivery rarely races the API's own append, and it bounds how stale a crash leaves the read models.
 */
const DELIVERY_DELAY = '3 seconds';
/** A workflow started without its create command (which the API never does) gives up after this. */
const AWAIT_CREATE_TIMEOUT = '1 hour';

export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderWorkflowResult> {
  const order = new OrderEntity(input);
  const outbox = new Outbox(input.outbox, input.refusal);
  takeMessages(order, outbox);
  if (order.state) showDetails(order, outbox);
  else if (!(await condition(() => order.state !== undefined, AWAIT_CREATE_TIMEOUT))) {
    log.warn('no create command arrived; closing', { orderId: input.orderId });
    return order.result();
  }
  // Runs beside the loop: its expiry is a command like a signal's, which the loop then delivers.
  void closePaymentWindow(order, (expiry) => applyUnanswered(order, outbox, expiry, () => order.expire(expiry)));

  for (;;) {
    // Every way out of this loop, to the close or to continue-as-new, passes here with nothing due.
    if (!outbox.isDue) publishStatus(order.state!);
    await condition(() => outbox.isDue || (order.isTerminal && outbox.isEmpty) || workflowInfo().continueAsNewSuggested);
    if (outbox.isDue) {
      if (await outbox.receiptWithin(DELIVERY_DELAY)) continue;
      // No receipt came in time, nor a command carrying one: the order has settled.
      publishStatus(order.state!);
      await outbox.deliver();
      showDetails(order, outbox);
      continue;
    }
    if (order.isTerminal && outbox.isEmpty) break;
    // Let running handlers answer their callers first; state and outbox travel to the next run.
    await condition(allHandlersFinished);
    if (!outbox.isDue) return continueAsNew<typeof orderWorkflow>({ orderId: input.orderId, ...order.carry(), ...outbox.carry() });
  }
  await condition(allHandlersFinished);
  return order.result();
}

/** Wires the order's Updates, Signals and Queries to its entity and its outbox. */
function takeMessages(order: OrderEntity, outbox: Outbox): void {
  const takeReceipt = (receipt: AppendReceipt | undefined): void => {
    if (typeof receipt?.appendedThrough === 'number') outbox.settle(receipt.appendedThrough);
  };
  const update = async (command: ClientCommand, receipt?: AppendReceipt): Promise<CommandAnswer> => {
    takeReceipt(receipt);
    try {
      const { answer } = record(order, outbox, order.apply(command));
      return { ...answer, eventsToAppend: outbox.toAppend(answer.version) };
    } catch (error) {
      throw asFailure(error);
    }
  };
  // The receipt is in the signature only so that setHandler sees the validator and the handler alike.
  const validate = (command: ClientCommand, _receipt?: AppendReceipt): void => {
    try {
      order.validate(command);
    } catch (error) {
      throw asFailure(error);
    }
  };
  const signal = (command: ClientCommand): void => applyUnanswered(order, outbox, command, () => order.apply(command));

  setHandler(createOrderUpdate, update, { validator: validate });
  setHandler(changeOrderStatusUpdate, update, { validator: validate });
  setHandler(cancelOrderUpdate, update, { validator: validate });
  setHandler(createOrderSignal, signal);
  setHandler(changeOrderStatusSignal, signal);
  setHandler(cancelOrderSignal, signal);
  setHandler(eventsAppendedUpdate, takeReceipt);
  setHandler(eventsAppendedSignal, takeReceipt);
  setHandler(redeliverEventsSignal, () => outbox.redeliver());
  setHandler(getOrderQuery, () => order.state ?? null);
  setHandler(getCommandOutcomeQuery, (commandId) => order.outcomeOf(commandId) ?? null);
}

/** What a command applied: its events enter the outbox, and the Web UI shows the order as it now is. */
function record(order: OrderEntity, outbox: Outbox, applied: Applied): Applied {
  if (applied.events.length > 0) {
    outbox.add(applied.events);
    showDetails(order, outbox);
  }
  return applied;
}

/**
 * Applies a command no caller waits on (a signal's, or the payment window's expiry) with `apply`:
 * a refusal is kept as the command's outcome, and its events are delivered at once, since no
 * caller will append them.
 */
function applyUnanswered(order: OrderEntity, outbox: Outbox, command: unknown, apply: () => Applied): void {
  try {
    if (record(order, outbox, apply()).events.length > 0) outbox.deliverSoon();
  } catch (error) {
    if (error instanceof DomainError) order.reject(command, error);
    else throw error;
  }
}
