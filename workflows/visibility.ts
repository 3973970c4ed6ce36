/**
 * What Temporal shows of an order: the `OrderStatus` search attribute (the Web UI's and
 * `temporal workflow list`'s filter) and the workflow's current details in the Web UI.
 */
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { toDecimalString } from '../src/domain/money';
import type { OrderState } from '../src/domain/order';
import { ORDER_STATUS_ATTRIBUTE } from './messages';
import type { OrderEntity } from './orderEntity';
import type { Outbox } from './outbox';

/**
 * Publishes the order's status once it has settled (its events are delivered, or no command came
 * within the outbox's delay), not with every change: each upsert costs the Temporal server a
 * visibility write, and the server skips one made in the task that closes the workflow, whose close
 * record carries it. An order whose commands follow each other quickly pays none; the filter lags
 * an order's last change by up to that delay, and may never list a status passed through faster.
 * The API sets every search attribute as it starts the workflow; the rest never change.
 */
export function publishStatus(state: OrderState): void {
  if (workflowInfo().typedSearchAttributes.get(ORDER_STATUS_ATTRIBUTE) === state.status) return;
  upsertSearchAttributes([{ key: ORDER_STATUS_ATTRIBUTE, value: state.status }]);
}

/**
 * The order as the Web UI's "current details" show it: with its payment deadline while it awaits
 * payment, and any event the log refused.
 */
export function showDetails(order: OrderEntity, outbox: Outbox): void {
  const state = order.state!;
  const deadline = order.awaitsPayment ? order.paymentDeadline : undefined;
  const refusal = outbox.refusal;
  const items = state.items.map((line) => `- ${line.quantity} × ${line.productName ?? line.productId} at ${toDecimalString(line.unitPriceCents)}`);
  setCurrentDetails(
    [
      `**${state.status}** · order ${state.orderId} · version ${state.version}`,
      `Customer: ${state.customerName} (${state.customerId})`,
      `Total: ${toDecimalString(state.totalCents)}`,
      deadline ? `Payment due by ${deadline.toISOString()}: unless confirmed by then, the order is cancelled.` : '',
      state.cancellationReason ? `Cancelled: ${state.cancellationReason}` : '',
      'Items:',
      ...items,
      refusal
        ? `\n**Event ${refusal.eventId} refused by the event log:** ${refusal.reason}\n` +
          `It and the ${outbox.size - 1} event(s) after it wait here, undelivered; once the cause is fixed, ` +
          'POST /admin/events/redeliver sends them again.'
        : '',
    ]
      .filter(Boolean)
      .join('\n'),
  );
}
