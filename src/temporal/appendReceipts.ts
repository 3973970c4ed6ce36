/**
 * Receipts: what this process appended of each open order's events, told to the order's workflow
 * so that it need not deliver them itself. A receipt rides on this process's next command to the
 * order if one comes soon; otherwise it goes alone (an Update, or a signal once this process is
 * stopping: see `send`), before the workflow's delivery delay runs out: at once when the order is
 * terminal (no command will follow), after `holdMs` of quiet when it is open. A receipt alone wakes the workflow once, as its delivery timer would, but
 * asks ClickHouse nothing: the delivery it replaces would look up, in the log and every read model,
 * events the API had written already.
 * A receipt saves work and is never needed for safety: without one (the append failed or took
 * most of its time, this process was killed, the receipt was lost) the workflow delivers the events
 * after its delay, and the log skips what it holds.
 */
import { isTerminal, OrderSnapshot } from '../domain/order';
import type { AppendReceipt } from '../../workflows/messages';

/**
 * How long an open order's receipt waits for a command to carry it: commands sent one after another
 * carry theirs. The workflow delivers DELIVERY_DELAY (3 s, workflows/order.ts) after it recorded
 * the command; a receipt sent after this hold reaches it first unless the append took most of the
 * APPEND_WAIT_MS (2 s, src/composition/apiRole.ts) the API gives it.
 */
const RECEIPT_HOLD_MS = 1000;

export interface AppendReceiptsOptions {
  /**
   * Sends a receipt alone: as an Update, or as a signal when this process is `stopping`. An Update
   * is done once a workflow task has taken it, which a stopping Temporal server may no longer run
   * (the Ctrl-C that stops the embedded service stops its dev server too); a signal is done once
   * the server has recorded it.
   */
  send: (orderId: string, receipt: AppendReceipt, stopping: boolean) => Promise<void>;
  /** A receipt could not be sent: its workflow delivers those events itself. */
  onLost?: (orderId: string, error: unknown) => void;
  /** Default `RECEIPT_HOLD_MS`. */
  holdMs?: number;
}

/** A receipt waiting to be sent, or taken by a command that may give it back (see `giveBack`). */
export interface HeldReceipt {
  receipt: AppendReceipt;
  since: number;
}

export class AppendReceipts {
  /** Per open order, the version through which this process appended its events, and since when. */
  private readonly held = new Map<string, HeldReceipt>();
  private sweep: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly holdMs: number;

  constructor(private readonly options: AppendReceiptsOptions) {
    this.holdMs = options.holdMs ?? RECEIPT_HOLD_MS;
  }

  /** Takes the order's receipt for a command to carry: it is no longer sent alone. */
  take(orderId: string): HeldReceipt | undefined {
    const taken = this.held.get(orderId);
    this.held.delete(orderId);
    return taken;
  }

  /** The command that took it did not reach the workflow: it is held again, as long as it was, unless a later one is. */
  giveBack(orderId: string, taken: HeldReceipt): void {
    const later = this.held.get(orderId);
    if (later && later.receipt.appendedThrough >= taken.receipt.appendedThrough) return;
    this.hold(orderId, taken);
  }

  /** Every event of the order up to its version in this answer is in the log and every read model. */
  appended(order: OrderSnapshot): void {
    const receipt = { appendedThrough: order.version };
    if (isTerminal(order.status) || this.closed) {
      this.held.delete(order.orderId);
      void this.send(order.orderId, receipt);
    } else {
      this.hold(order.orderId, { receipt, since: performance.now() });
    }
  }

  /**
   * Sends every receipt still held, waiting at most `withinMs` for them, and from then on sends each
   * at once: the process is stopping. Each receipt that arrives saves its order a delivery.
   */
  async close(withinMs: number): Promise<void> {
    this.closed = true;
    this.stopSweeping();
    const sent = Promise.all([...this.held].map(([orderId, { receipt }]) => this.send(orderId, receipt)));
    this.held.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([sent, new Promise((resolve) => (timer = setTimeout(resolve, withinMs)))]);
    clearTimeout(timer);
  }

  private hold(orderId: string, receipt: HeldReceipt): void {
    this.held.set(orderId, receipt);
    // A tick of a quarter of the hold sends each receipt at most a quarter late; it runs only while one is held.
    this.sweep ??= setInterval(() => this.sendQuiet(), this.holdMs / 4).unref();
  }

  /** Sends the receipts of the orders no command reached within the hold. */
  private sendQuiet(): void {
    const heldSince = performance.now() - this.holdMs;
    for (const [orderId, { receipt, since }] of this.held) {
      if (since > heldSince) continue;
      this.held.delete(orderId);
      void this.send(orderId, receipt);
    }
    if (this.held.size === 0) this.stopSweeping();
  }

  private stopSweeping(): void {
    clearInterval(this.sweep);
    this.sweep = undefined;
  }

  /** Never rejects: the client's answer does not depend on it, and a lost receipt costs a delivery. */
  private send(orderId: string, receipt: AppendReceipt): Promise<void> {
    return this.options.send(orderId, receipt, this.closed).catch((error: unknown) => this.options.onLost?.(orderId, error));
  }
}
