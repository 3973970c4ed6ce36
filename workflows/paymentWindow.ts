/**
 * The payment window (PENDING_ORDER_TIMEOUT): an order still PENDING at its deadline is cancelled
 * by its own workflow. The wait is a durable timer: Temporal's server keeps it, so it fires though
 * the worker restarted meanwhile, and a run after a continue-as-new waits only for what is left of
 * the same deadline. The cancellation is a domain command, `ExpirePaymentWindow`, judged by
 * `decide()` like any other: whichever of it and a client's confirm or cancel the workflow takes
 * first wins, and the other meets the state that one left.
 */
import { condition } from '@temporalio/workflow';
import { expirePaymentWindow, ExpirePaymentWindow } from '../src/domain/order';
import type { OrderEntity } from './orderEntity';

/**
 * Waits until the order leaves PENDING or its payment window closes, and in the second case hands
 * the expiry to `expire`. Returns at once for an order without a window or no longer PENDING.
 */
export async function closePaymentWindow(order: OrderEntity, expire: (command: ExpirePaymentWindow) => void): Promise<void> {
  const deadline = order.paymentDeadline;
  if (deadline === undefined || !order.awaitsPayment) return;
  const left = deadline.getTime() - Date.now();
  // No timer for a deadline already past (it passed during a continue-as-new): expire at once.
  if (left > 0) await condition(() => !order.awaitsPayment, left, { summary: 'payment window' });
  // A command taken in the same workflow task as the timer fired may have settled the order first.
  if (order.awaitsPayment) expire(expirePaymentWindow(order.state!.orderId, deadline));
}
