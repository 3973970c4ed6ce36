/**
 * Receipts: what this process appended of each open order's events, told to the order's workflow
 * so that it need not deliver them itself. A receipt rides on this process's next command to the
 * order if one comes soon; otherwise it goes alone as a signal, before the workflow's delivery
 * delay runs out: at once when the order is terminal (no command will follow), after `holdMs` of
 * quiet when it is open. A signal wakes the workflow once, as its delivery timer would, but asks
 * ClickHouse nothing: the delivery it replaces would look up, in the log and every read model,
 * events the API had written already.
 * A receipt saves work and is never needed for safety: without one (the append failed, this
 * process stopped, the signal was lost) the workflow delivers the events after its delay, and the
 * log skips what it holds.
 */
import { isTerminal, OrderSnapshot } from '../domain/order';
import type { AppendReceipt } from '../../workflows/messages';

/**
 * How long an open order's receipt waits for a command to carry it: commands sent one after another
 * carry theirs. The workflow delivers 3 s after it recorded the command (DELIVERY_DELAY in
 * workflows/order.ts); a receipt sent after 1 s of quiet reaches it first unless the append itself
 * took most of the 2 s the API gives it.
 */
export const RECEIPT_HOLD_MS = 1000;

export interface AppendReceiptsOptions {
  /** Sends a receipt alone, as a signal. */
  send: (orderId: string, receipt: AppendReceipt) => Promise<void>;
  /** A receipt could not be sent: its workflow delivers those events itself. */
  onLost?: (orderId: string, error: unknown) => void;
  /** Default `RECEIPT_HOLD_MS`. */
  holdMs?: number;
}

interface Held {
  appendedThrough: number;
  since: number;
}

export class AppendReceipts {
  /** Per open order, the version through which this process appended its events; the longest held first. */
  private readonly held = new Map<string, Held>();
  private sweep: NodeJS.Timeout | undefined;
  private readonly holdMs: number;

  constructor(private readonly options: AppendReceiptsOptions) {
    this.holdMs = options.holdMs ?? RECEIPT_HOLD_MS;
  }

  /**
   * The receipt to send with this process's next command to the order. It is held afresh rather
   * than taken: a command refused before it reached the workflow leaves it to go alone later.
   */
  for(orderId: string): AppendReceipt | undefined {
    const held = this.held.get(orderId);
    if (!held) return undefined;
    this.hold(orderId, held.appendedThrough);
    return { appendedThrough: held.appendedThrough };
  }

  /** Every event of the order up to its version in this answer is in the log and every read model. */
  appended(order: OrderSnapshot): void {
    if (isTerminal(order.status)) {
      this.held.delete(order.orderId);
      void this.send(order.orderId, order.version);
    } else {
      this.hold(order.orderId, order.version);
    }
  }

  /** Sends every receipt still held, as the process stops: each saves its order a delivery. */
  async flush(): Promise<void> {
    this.stopSweeping();
    const due = [...this.held];
    this.held.clear();
    await Promise.all(due.map(([orderId, { appendedThrough }]) => this.send(orderId, appendedThrough)));
  }

  private hold(orderId: string, appendedThrough: number): void {
    this.held.delete(orderId);
    this.held.set(orderId, { appendedThrough, since: Date.now() });
    // A tick of a quarter of the hold sends each receipt at most a quarter late; it runs only while one is held.
    this.sweep ??= setInterval(() => this.sendQuiet(), this.holdMs / 4).unref();
  }

  /** Sends the receipts of the orders no command reached within the hold. */
  private sendQuiet(): void {
    const heldSince = Date.now() - this.holdMs;
    for (const [orderId, { appendedThrough, since }] of this.held) {
      if (since > heldSince) break;
      this.held.delete(orderId);
      void this.send(orderId, appendedThrough);
    }
    if (this.held.size === 0) this.stopSweeping();
  }

  private stopSweeping(): void {
    clearInterval(this.sweep);
    this.sweep = undefined;
  }

  /** Never rejects: the client's answer does not depend on it, and a lost receipt costs a delivery. */
  private send(orderId: string, appendedThrough: number): Promise<void> {
    return this.options.send(orderId, { appendedThrough }).catch((error: unknown) => this.options.onLost?.(orderId, error));
  }
}
