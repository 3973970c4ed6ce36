/**
 * An order's events from the moment its workflow records them until they are known to be in the
 * event log and every read model. Two ways take them out:
 * - a receipt: the API appended them itself before answering the command that produced them, and
 *   says so with its next command to the order, or alone when none follows soon;
 * - a delivery: what no receipt covers within the delay the workflow gives it goes, oldest first,
 *   to an activity that writes whatever the log does not hold yet (a local one when every event
 *   was recorded by an earlier workflow task, see `delivered`).
 * An event the log refuses for good stays here, with the events after it, until an operator asks
 * for a redelivery: nothing is dropped, and an order's events reach the log in version order.
 */
import type { Duration } from '@temporalio/common';
import { condition, proxyActivities, proxyLocalActivities, TemporalFailure, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { RecordedEvent } from '../src/domain/order';
import type { EventRefusal } from './messages';

// A regular activity for events the current workflow task decided: Temporal schedules it only once
// that task is in history. A local activity runs before its task completes; if that task then
// failed (it can, when commands race), its events would be in the log while the retried task
// decided differently: two events with one version. It retries without limit, since an accepted
// event must reach the log; a refusal is an answer, not a failure. If its worker dies, the attempt
// is retried elsewhere after the timeout, which bounds how late a crash makes events visible.
const { deliverOrderEvents } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

// The same activity, local, for events an earlier task recorded: that task completed, so no retry
// of it can decide them differently, and the delivery costs no activity task and no second
// workflow task. One short attempt: the workflow task, and any command waiting on the order, waits
// for it; if it fails (ClickHouse slow or away), the regular activity takes over with its retries.
const { deliverOrderEvents: deliverRecordedEvents } = proxyLocalActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '3 seconds',
  retry: { maximumAttempts: 1 },
});

export class Outbox {
  private readonly events: RecordedEvent[];
  private held: EventRefusal | undefined;
  /** Deliver without waiting for a receipt: no caller will append (a signal's events). */
  private now = false;
  /** An operator fixed the cause of the refusal and asked for the held events again. */
  private redeliveryAsked = false;
  /**
   * The history length of the workflow task that last added events (it is the same for every
   * activation of one task); events carried from the run before were recorded by it.
   */
  private addedIn = -1;

  constructor(events: RecordedEvent[] = [], refusal?: EventRefusal) {
    this.events = events;
    this.held = refusal;
  }

  get isEmpty(): boolean {
    return this.events.length === 0;
  }

  /** Events wait to be delivered, and no refusal holds them, or an operator asked for them again. */
  get isDue(): boolean {
    return this.events.length > 0 && (this.held === undefined || this.redeliveryAsked);
  }

  /** The refusal holding the outbox, if the event log refused its oldest event. */
  get refusal(): EventRefusal | undefined {
    return this.held;
  }

  get size(): number {
    return this.events.length;
  }

  add(events: RecordedEvent[]): void {
    this.events.push(...events);
    this.addedIn = workflowInfo().historyLength;
  }

  /** A receipt: every event through `version` is in the log. The outbox is in version order. */
  settle(version: number): void {
    const kept = this.events.findIndex(({ event }) => event.version > version);
    this.events.splice(0, kept === -1 ? this.events.length : kept);
  }

  /**
   * What the caller of an Update appends before it answers: every event through the command's
   * version (earlier ones too, if their append failed: the log skips what it holds). Nothing while
   * a refusal holds the outbox: the log would refuse the oldest again, and the rest must wait.
   */
  toAppend(version: number): RecordedEvent[] {
    return this.held ? [] : this.events.filter(({ event }) => event.version <= version);
  }

  /** Events came with no caller to append them (a signal's): while a refusal holds the outbox, they wait behind it. */
  deliverSoon(): void {
    this.now = true;
  }

  /** An operator fixed what made the log refuse an event: try again now. Only this lifts a hold. */
  redeliver(): void {
    if (this.held) this.redeliveryAsked = true;
  }

  /**
   * Waits at most `delay` for a receipt for the oldest event. True when the outbox moved on (a
   * receipt, or a reason to deliver at once): a receipt for older events restarts the wait, so no
   * timer fires while commands keep coming. False when the delay ran out: the order has settled.
   */
  async receiptWithin(delay: Duration): Promise<boolean> {
    if (this.deliverAtOnce) return false;
    const oldest = this.events[0];
    return condition(() => this.deliverAtOnce || this.events[0] !== oldest, delay);
  }

  /** Hands every event to the delivery activity at once; those it wrote, or found written, leave. */
  async deliver(): Promise<void> {
    this.now = false;
    this.redeliveryAsked = false;
    const batch = this.events.slice();
    const refusal = await this.delivered(batch);
    this.held = refusal ?? undefined;
    this.settle(refusal ? refusal.version - 1 : batch[batch.length - 1].event.version);
  }

  private get deliverAtOnce(): boolean {
    return this.now || this.redeliveryAsked;
  }

  /** Events an earlier task recorded go through the local activity first; any others, or if it fails, the regular one. */
  private async delivered(batch: RecordedEvent[]): Promise<EventRefusal | null> {
    if (this.addedIn < workflowInfo().historyLength) {
      try {
        return await deliverRecordedEvents(batch, this.held ?? null);
      } catch (error) {
        // A local activity's failure comes as the activity's own (an ApplicationFailure, a timeout).
        if (!(error instanceof TemporalFailure)) throw error;
      }
    }
    return deliverOrderEvents(batch, this.held ?? null);
  }

  carry(): { outbox: RecordedEvent[]; refusal?: EventRefusal } {
    return { outbox: this.events, ...(this.held ? { refusal: this.held } : {}) };
  }
}
