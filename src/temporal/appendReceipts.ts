/**
 * Receipts: what this process appended of each open order's events, told to the order's workflow
 * so that it need not deliver them itself. A receipt rides on this process's next command to the
 * order; once the order is terminal, when no command will follow, it goes alone as a signal.
 * A receipt saves work and is never needed for safety: without one (the append failed, this
 * process stopped, the next command went to another process) the workflow delivers the events
 * after its delay, and the log skips what it holds.
 */
import { isTerminal, OrderSnapshot } from '../domain/order';
import type { AppendReceipt } from '../../workflows/messages';

/** Open orders whose receipt waits for their next command; the oldest are forgotten beyond this. */
const RECEIPTS_KEPT = 10_000;

export interface AppendReceiptsOptions {
  /** Sends a terminal order's receipt alone. */
  send: (orderId: string, receipt: AppendReceipt) => Promise<void>;
  /** A terminal order's receipt could not be sent: its workflow delivers its last events itself. */
  onLost?: (orderId: string, error: unknown) => void;
}

export class AppendReceipts {
  /** Per open order, the version through which this process appended its events. */
  private readonly appendedThrough = new Map<string, number>();

  constructor(private readonly options: AppendReceiptsOptions) {}

  /**
   * The receipt to send with this process's next command to the order. It stays until a later
   * append replaces it: a command refused before it reached the workflow leaves it for the next.
   */
  for(orderId: string): AppendReceipt | undefined {
    const version = this.appendedThrough.get(orderId);
    return version === undefined ? undefined : { appendedThrough: version };
  }

  /** Every event of the order up to its version in this answer is in the log and every read model. */
  appended(order: OrderSnapshot): void {
    if (!isTerminal(order.status)) {
      this.appendedThrough.delete(order.orderId);
      this.appendedThrough.set(order.orderId, order.version);
      if (this.appendedThrough.size > RECEIPTS_KEPT) this.appendedThrough.delete(this.appendedThrough.keys().next().value!);
      return;
    }
    this.appendedThrough.delete(order.orderId);
    // Not awaited: the client's answer does not depend on it, and a lost receipt costs a delivery.
    this.options.send(order.orderId, { appendedThrough: order.version }).catch((error: unknown) => this.options.onLost?.(order.orderId, error));
  }
}
