/**
 * One workflow per order: the write model. It takes commands (updates and signals), runs them
 * through the pure domain module and keeps the resulting events in an outbox. An Update answers
 * with its events, which the API appends to the event log before it answers its client, and the
 * API's receipt for them (on its next command to the order, or alone once the order is terminal)
 * clears them from the outbox. Events no receipt covers within DELIVERY_DELAY (the API crashed,
 * or ClickHouse was away) go, in order, to an activity that writes whatever the log does not hold
 * yet. It finishes once the order is terminal and every event is delivered or receipted.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { DomainError } from '../src/domain/errors';
import { toDecimalString } from '../src/domain/money';
import { decide, evolve, isTerminal, OrderCommand, OrderSnapshot, OrderState, RecordedEvent, recorded, snapshot } from '../src/domain/order';
import {
  AppendReceipt,
  cancelOrderSignal,
  cancelOrderUpdate,
  changeOrderStatusSignal,
  CommandAnswer,
  changeOrderStatusUpdate,
  CommandOutcome,
  createOrderSignal,
  createOrderUpdate,
  CUSTOMER_ID_ATTRIBUTE,
  eventsAppendedSignal,
  findOutcome,
  getCommandOutcomeQuery,
  getOrderQuery,
  ORDER_STATUS_ATTRIBUTE,
  ORDER_TOTAL_ATTRIBUTE,
  OrderWorkflowInput,
  OrderWorkflowResult,
} from './messages';

/** Enough to answer any realistic client retry; bounded so continue-as-new stays small. */
const RECENT_COMMANDS_KEPT = 200;
/**
 * How long the workflow waits for a receipt for its oldest undelivered event before delivering
 * it itself. The API appends a command's events within 2 s of its answer or gives up; this comes
 * after that, so the delivery rarely races the API's own append, and it bounds how stale the read
 * models can be after a crash.
 */
const DELIVERY_DELAY = '3 seconds';
const CALLER_APPENDS = 'caller-appends-events';
/** Before CALLER_APPENDS, an Update waited (at most this long) for the workflow's own append. */
const APPEND_WAIT = '2 seconds';
const ANSWER_AFTER_APPEND = 'answer-after-append';
/**
 * From revision 2 on (OrderWorkflowInput.revision), the status search attribute (the Web UI's and
 * `temporal workflow list`'s OrderStatus filter) is upserted once the order settles, not with
 * every change: when the workflow delivers after DELIVERY_DELAY without a next command, when a
 * receipt leaves nothing to deliver, and in the task that closes it. Each upsert costs the Temporal
 * server a visibility write; an order whose commands follow each other within the delay pays none
 * (the server skips an upsert made in a workflow's closing task, whose close record carries it)
 * instead of one per change. The filter lags an order's last change by up to DELIVERY_DELAY; a
 * status an order passes through faster than that may never be listed.
 */
const SETTLED_STATUS_REVISION = 2;
/** From revision 2 on, the caller appends without the CALLER_APPENDS patch being consulted. */
const CALLER_APPENDS_REVISION = 2;
/** A workflow started without its create command (which the API never does) gives up after this. */
const AWAIT_CREATE_TIMEOUT = '1 hour';

// A regular activity, not a local one: Temporal schedules it only once the workflow task that
// decided the events is recorded in history. A local activity runs before that task completes; if
// the task then failed (it can, when commands race), its events were already in the log while
// the retried task decided differently, leaving two events with the same version (seen in
// test/e2e/concurrency.e2e.spec.ts). For the same reason the API appends only events an Update
// returned, which are in history by then. It retries without limit: an accepted event must reach
// the log. A delivery takes well under a second; if its worker dies, the attempt is retried
// elsewhere after this timeout, so it bounds how late a crash can make events reach the read models.
const { deliverOrderEvents, recordOrderEvents } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

class OrderEntity {
  state: OrderState | undefined;
  readonly outbox: RecordedEvent[];
  private readonly recentCommands: CommandOutcome[];
  private createCommandId: string | undefined;
  /** A status change left for publishStatus (SETTLED_STATUS_REVISION). */
  private statusUnpublished = false;
  /** The revision of the workflow code this order started under (OrderWorkflowInput.revision). */
  readonly revision: number;

  constructor(input: OrderWorkflowInput) {
    this.state = input.state;
    this.outbox = input.outbox ?? [];
    this.recentCommands = input.recentCommands ?? [];
    this.createCommandId = input.createCommandId;
    this.revision = input.revision ?? 0;
  }

  /**
   * Whether the caller appends an Update's events. Orders from before revisions consult the patch,
   * as their histories did (the call records a marker and, in the SDK, a search attribute upsert).
   */
  callerAppends(): boolean {
    return this.revision >= CALLER_APPENDS_REVISION || patched(CALLER_APPENDS);
  }

  get finished(): boolean {
    return this.state !== undefined && isTerminal(this.state.status) && this.outbox.length === 0;
  }

  outcomeOf(commandId: string): CommandOutcome | undefined {
    return findOutcome({ createdAt: this.state?.createdAt, createCommandId: this.createCommandId, recentCommands: this.recentCommands }, commandId);
  }

  /** Throws the DomainError a command would meet, without changing anything. */
  validate(command: OrderCommand): void {
    if (this.outcomeOf(command.commandId)) return;
    decide(this.state, command, new Date());
  }

  /** Applies a command, or answers a repeated one with its first outcome. */
  handle(command: OrderCommand): OrderSnapshot {
    const earlier = this.outcomeOf(command.commandId);
    if (earlier) return this.answer(earlier);
    const events = decide(this.state, command, new Date());
    for (const event of events) {
      this.state = evolve(this.state, event);
      this.outbox.push(recorded(event, this.state));
    }
    const state = this.state!;
    // The same ids as the API's and the activity's log lines: one grep follows a command through.
    log.info('command applied', {
      orderId: command.orderId,
      commandId: command.commandId,
      correlationId: command.correlationId,
      command: command.type,
      status: state.status,
      version: state.version,
    });
    if (command.type === 'CreateOrder') this.createCommandId = command.commandId;
    else this.remember({ commandId: command.commandId, accepted: true, version: state.version, status: state.status, updatedAt: state.updatedAt });
    // The API sets the search attributes when it starts the workflow; a change is upserted when
    // the order settles (publishStatus), or, in histories from before that, at once.
    const changed = command.type !== 'CreateOrder';
    if (changed && this.revision >= SETTLED_STATUS_REVISION) this.statusUnpublished = true;
    this.publish(state, changed && !this.statusUnpublished);
    return snapshot(state);
  }

  /** A signal cannot answer, so its rejection is kept where a query (and the Web UI) can see it. */
  reject(command: OrderCommand, error: DomainError): void {
    if (this.outcomeOf(command.commandId)) return;
    this.remember({ commandId: command.commandId, accepted: false, code: error.code, message: error.message });
    log.warn('signal rejected', {
      orderId: command.orderId,
      commandId: command.commandId,
      correlationId: command.correlationId,
      code: error.code,
      reason: error.message,
    });
  }

  /** Events at or below a version that the workflow has not delivered itself yet. */
  undelivered(version: number): RecordedEvent[] {
    return this.outbox.filter(({ event }) => event.version <= version);
  }

  /** Drops from the outbox the events known to be in the log (the outbox is in version order). */
  settle(through: number): void {
    const kept = this.outbox.findIndex(({ event }) => event.version > through);
    this.outbox.splice(0, kept === -1 ? this.outbox.length : kept);
  }

  answer(outcome: CommandOutcome): OrderSnapshot {
    if (!outcome.accepted) throw ApplicationFailure.create({ type: outcome.code, message: outcome.message, nonRetryable: true });
    return { ...snapshot(this.state!), status: outcome.status, updatedAt: outcome.updatedAt, version: outcome.version };
  }

  carry(orderId: string): OrderWorkflowInput {
    return {
      orderId,
      state: this.state,
      outbox: this.outbox,
      recentCommands: this.recentCommands,
      createCommandId: this.createCommandId,
      ...(this.revision ? { revision: this.revision } : {}),
    };
  }

  result(): OrderWorkflowResult {
    return { order: this.state ? snapshot(this.state) : null, createCommandId: this.createCommandId, recentCommands: this.recentCommands };
  }

  private remember(outcome: CommandOutcome): void {
    this.recentCommands.push(outcome);
    if (this.recentCommands.length > RECENT_COMMANDS_KEPT) this.recentCommands.splice(0, this.recentCommands.length - RECENT_COMMANDS_KEPT);
  }

  /** Upserts the status search attribute if a change is left unpublished and it differs. */
  publishStatus(): void {
    if (!this.statusUnpublished || !this.state) return;
    this.statusUnpublished = false;
    if (workflowInfo().typedSearchAttributes.get(ORDER_STATUS_ATTRIBUTE) === this.state.status) return;
    upsertSearchAttributes([{ key: ORDER_STATUS_ATTRIBUTE, value: this.state.status }]);
  }

  /** Keeps the order findable and legible in the Temporal Web UI. */
  publish(state: OrderState, searchAttributesChanged = true): void {
    if (searchAttributesChanged) {
      upsertSearchAttributes([
        { key: ORDER_STATUS_ATTRIBUTE, value: state.status },
        { key: CUSTOMER_ID_ATTRIBUTE, value: state.customerId },
        { key: ORDER_TOTAL_ATTRIBUTE, value: state.totalCents / 100 },
      ]);
    }
    const lines = state.items.map((line) => `- ${line.quantity} × ${line.productName ?? line.productId} at ${toDecimalString(line.unitPriceCents)}`);
    setCurrentDetails(
      [
        `**${state.status}** · order ${state.orderId} · version ${state.version}`,
        `Customer: ${state.customerName} (${state.customerId})`,
        `Total: ${toDecimalString(state.totalCents)}`,
        state.cancellationReason ? `Cancelled: ${state.cancellationReason}` : '',
        'Items:',
        ...lines,
      ]
        .filter(Boolean)
        .join('\n'),
    );
  }
}

/** Update validators reject with the domain's stable code, which the API maps to its HTTP status. */
function asFailure(error: unknown): unknown {
  if (error instanceof DomainError) {
    return ApplicationFailure.create({ type: error.code, message: error.message, nonRetryable: true, details: [error.fieldErrors] });
  }
  return error;
}

export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderWorkflowResult> {
  const order = new OrderEntity(input);

  const takeReceipt = (receipt: AppendReceipt | undefined): void => {
    if (typeof receipt?.appendedThrough === 'number') order.settle(receipt.appendedThrough);
  };

  const handleUpdate = async (command: OrderCommand, receipt?: AppendReceipt): Promise<CommandAnswer> => {
    takeReceipt(receipt);
    let answer: OrderSnapshot;
    try {
      answer = order.handle(command);
    } catch (error) {
      throw asFailure(error);
    }
    // The caller appends these (the command's events, and any earlier ones the workflow has not
    // delivered yet: the append skips those already in) before it answers its client, so that a
    // read right after a 2xx finds them in every read model, at no extra round trip through Temporal.
    // (Patched: histories from before this change replay as they ran, by the branches below.)
    if (order.callerAppends()) return { ...answer, eventsToAppend: order.undelivered(answer.version) };
    // Previously: answer once the workflow's own append of the events is done, at most APPEND_WAIT later.
    if (patched(ANSWER_AFTER_APPEND)) {
      const appended = () => !order.outbox.some(({ event }) => event.version <= answer.version);
      if (!appended()) await condition(appended, APPEND_WAIT);
    }
    return answer;
  };
  // The receipt is in the signature only so that setHandler sees the validator and the handler alike.
  const validateUpdate = (command: OrderCommand, _receipt?: AppendReceipt): void => {
    try {
      order.validate(command);
    } catch (error) {
      throw asFailure(error);
    }
  };
  // A signal has no caller waiting to append its events: the workflow delivers them at once.
  let signalled = false;
  const handleSignal = (command: OrderCommand): void => {
    try {
      order.handle(command);
      signalled = true;
    } catch (error) {
      if (error instanceof DomainError) order.reject(command, error);
      else throw error;
    }
  };

  setHandler(createOrderUpdate, handleUpdate, { validator: validateUpdate });
  setHandler(changeOrderStatusUpdate, handleUpdate, { validator: validateUpdate });
  setHandler(cancelOrderUpdate, handleUpdate, { validator: validateUpdate });
  setHandler(createOrderSignal, handleSignal);
  setHandler(changeOrderStatusSignal, handleSignal);
  setHandler(cancelOrderSignal, handleSignal);
  setHandler(eventsAppendedSignal, takeReceipt);
  setHandler(getOrderQuery, () => (order.state ? snapshot(order.state) : null));
  setHandler(getCommandOutcomeQuery, (commandId) => order.outcomeOf(commandId) ?? null);
  if (order.state) order.publish(order.state, false);

  if (!order.state && !(await condition(() => order.state !== undefined, AWAIT_CREATE_TIMEOUT))) {
    log.warn('no create command arrived; closing', { orderId: input.orderId });
    return order.result();
  }

  for (;;) {
    // Nothing left to deliver: the order has settled (a receipt on a repeated command, which adds
    // no event, can leave it so with a change unpublished). Every way out of this loop, to the
    // close or to continue-as-new, passes here with the outbox empty: the closing task's upsert
    // the server skips (the close record carries it), and the next run inherits search attributes.
    if (order.outbox.length === 0) order.publishStatus();
    await condition(() => order.outbox.length > 0 || order.finished || workflowInfo().continueAsNewSuggested);
    if (order.outbox.length > 0) {
      if (order.callerAppends()) {
        // The API has appended these already, or will within DELIVERY_DELAY, or could not. Its
        // receipt clears them; a receipt for older events restarts the wait for the rest (no timer
        // fires while commands keep coming). What no receipt covers in time is delivered here:
        // the delivery writes only what is missing, and carries every event of the meantime at once.
        // (The wait ends early only on a receipt, so histories from before receipts replay as they ran.)
        if (!signalled) {
          const oldest = order.outbox[0];
          if (await condition(() => order.outbox[0] !== oldest, DELIVERY_DELAY)) continue;
        }
        signalled = false;
        // No command came within DELIVERY_DELAY (or a signal brought one): the order has settled.
        order.publishStatus();
        const batch = order.outbox.slice();
        await deliverOrderEvents(batch);
        order.settle(batch[batch.length - 1].event.version);
      } else {
        const batch = order.outbox.slice();
        await recordOrderEvents(batch);
        order.settle(batch[batch.length - 1].event.version);
      }
      continue;
    }
    if (order.finished) break;
    // Let running handlers answer their callers first; the outbox and state travel to the next run.
    await condition(allHandlersFinished);
    if (order.outbox.length === 0) return continueAsNew<typeof orderWorkflow>(order.carry(input.orderId));
  }
  await condition(allHandlersFinished);
  return order.result();
}
