/**
 * The API's way into the write model: sends commands to order workflows as Updates (synchronous)
 * or Signals (fire-and-forget), reads a workflow's state, and turns Temporal's errors into the
 * domain's coded errors.
 */
import {
  Client,
  isGrpcServiceError,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowHandle,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, TypedSearchAttributes, UpdateDefinition } from '@temporalio/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { DomainError, ErrorCode, FieldError } from '../domain/errors';
import type { CancelOrder, ChangeOrderStatus, CreateOrder, OrderCommand, OrderSnapshot, RecordedEvent } from '../domain/order';
import { toAmount } from '../domain/money';
import { isTerminal, lineTotalCents } from '../domain/order';
import type { orderWorkflow } from '../../workflows/order';
import {
  AppendReceipt,
  cancelOrderSignal,
  cancelOrderUpdate,
  changeOrderStatusSignal,
  changeOrderStatusUpdate,
  CommandAnswer,
  CommandOutcome,
  createOrderSignal,
  createOrderUpdate,
  CUSTOMER_ID_ATTRIBUTE,
  eventsAppendedSignal,
  findOutcome,
  getCommandOutcomeQuery,
  getOrderQuery,
  ORDER_STATUS_ATTRIBUTE,
  ORDER_WORKFLOW_REVISION,
  ORDER_TOTAL_ATTRIBUTE,
  orderWorkflowId,
  OrderWorkflowResult,
} from '../../workflows/messages';

const KNOWN_CODES: readonly ErrorCode[] = ['VALIDATION_FAILED', 'ORDER_ALREADY_EXISTS', 'ORDER_NOT_FOUND', 'INVALID_TRANSITION'];

export interface AcceptedCommand {
  commandId: string;
  orderId: string;
}

export interface OrderGatewayOptions {
  taskQueue: string;
  /** How long a synchronous command may wait for the workflow's answer. */
  commandTimeoutMs?: number;
  /**
   * Appends the events an accepted command returned to the event log, before the command is
   * answered, and says whether they are now in the log and in every read model. It must not throw
   * (the command stands either way: its workflow delivers what it gets no receipt for).
   */
  appendEvents?: (events: RecordedEvent[]) => Promise<boolean>;
  /**
   * Called once a command no longer awaits its answer and what it had to append (if anything) has
   * been offered: `commandsInFlight` went down, and the event log writer may stop waiting for it.
   */
  onAnswered?: () => void;
  /**
   * Called when the receipt for a finished order could not be sent: the order's workflow then
   * delivers its last events itself, after its DELIVERY_DELAY (nothing is lost, but it costs a
   * delivery; many of these at once say the Temporal server is struggling).
   */
  onReceiptLost?: (orderId: string, error: unknown) => void;
}

/** Orders whose receipt waits for their next command; the oldest are forgotten beyond this. */
const RECEIPTS_KEPT = 10_000;

export class OrderGateway {
  private readonly commandTimeoutMs: number;
  private awaitingAnswer = 0;
  /** Per open order, the version through which this process appended its events. */
  private readonly receipts = new Map<string, number>();

  constructor(
    private readonly client: Client,
    private readonly options: OrderGatewayOptions,
  ) {
    this.commandTimeoutMs = options.commandTimeoutMs ?? 15_000;
  }

  /** Synchronous commands sent to their workflows and not answered yet: appends on their way. */
  get commandsInFlight(): number {
    return this.awaitingAnswer;
  }

  /** Creates the order's workflow and the order in one step; 409 if the orderId was ever used. */
  async create(command: CreateOrder): Promise<OrderSnapshot> {
    let answer: CommandAnswer;
    try {
      answer = await this.inFlight(() =>
        this.resendUnprocessed(() =>
          this.bounded(() =>
            this.client.workflow.executeUpdateWithStart(createOrderUpdate, {
              args: [command],
              updateId: command.commandId,
              // A start operation can be used once; a resend needs its own.
              startWorkflowOperation: new WithStartWorkflowOperation<typeof orderWorkflow>('orderWorkflow', this.startOptions(command)),
            }),
          ),
        ),
      );
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError || isAlreadyStarted(error)) return this.replayFinished(command);
      await this.unstickAfterTimeout(command.orderId, error);
      throw translate(error);
    }
    return this.settle(command.orderId, answer);
  }

  /** Sends the create as a signal: answers once Temporal has recorded it, not once it is applied. */
  async createAsync(command: CreateOrder): Promise<AcceptedCommand> {
    try {
      await this.bounded(() =>
        this.client.workflow.signalWithStart<typeof orderWorkflow, [CreateOrder]>('orderWorkflow', {
          ...this.startOptions(command),
          signal: createOrderSignal,
          signalArgs: [command],
        }),
      );
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError || isAlreadyStarted(error)) {
        await this.replayFinished(command);
        return accepted(command);
      }
      throw translate(error);
    }
    return accepted(command);
  }

  async changeStatus(command: ChangeOrderStatus): Promise<OrderSnapshot> {
    return this.update(command, changeOrderStatusUpdate);
  }

  async cancel(command: CancelOrder): Promise<OrderSnapshot> {
    return this.update(command, cancelOrderUpdate);
  }

  async changeStatusAsync(command: ChangeOrderStatus): Promise<AcceptedCommand> {
    return this.signal(command, (handle) => handle.signal(changeOrderStatusSignal, command));
  }

  async cancelAsync(command: CancelOrder): Promise<AcceptedCommand> {
    return this.signal(command, (handle) => handle.signal(cancelOrderSignal, command));
  }

  /** The write model's current order (a strongly consistent read), or undefined. */
  async read(orderId: string): Promise<OrderSnapshot | undefined> {
    const state = await this.writeModel(
      orderId,
      (handle) => handle.query(getOrderQuery),
      (result) => result.order,
    );
    return state ?? undefined;
  }

  /** What became of a command sent to an order, or undefined if the order has not seen it. */
  async outcome(orderId: string, commandId: string): Promise<CommandOutcome | undefined> {
    const outcome = await this.writeModel(
      orderId,
      (handle) => handle.query(getCommandOutcomeQuery, commandId),
      (result) => outcomeIn(result, commandId),
    );
    return outcome ?? undefined;
  }

  /**
   * Reads the order's workflow: by query while it runs; from its result once it has finished, which
   * needs no worker to replay its history. Undefined when there is no such workflow.
   */
  private async writeModel<T>(
    orderId: string,
    whileRunning: (handle: OrderHandle) => Promise<T>,
    once: (result: OrderWorkflowResult) => T,
  ): Promise<T | undefined> {
    const handle = this.handle(orderId);
    try {
      return await this.bounded(async () => {
        const { status } = await handle.describe();
        if (status.name === 'RUNNING') return whileRunning(handle);
        try {
          return once(await handle.result());
        } catch (error) {
          // Terminated or failed by an operator: only a replay (through the query) can tell.
          if (error instanceof WorkflowFailedError) return whileRunning(handle);
          throw error;
        }
      });
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw translate(error);
    }
  }

  private handle(orderId: string): OrderHandle {
    return this.client.workflow.getHandle<typeof orderWorkflow>(orderWorkflowId(orderId));
  }

  private startOptions(command: CreateOrder) {
    const totalCents = command.items.reduce((sum, line) => sum + lineTotalCents(line), 0);
    return {
      workflowId: orderWorkflowId(command.orderId),
      taskQueue: this.options.taskQueue,
      args: [{ orderId: command.orderId, revision: ORDER_WORKFLOW_REVISION }] as Parameters<typeof orderWorkflow>,
      // An orderId is used once: a running order takes the create as a (rejected or repeated)
      // command, and a finished one refuses to start again.
      workflowIdConflictPolicy: 'USE_EXISTING' as const,
      workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
      staticSummary: `Order ${command.orderId} for ${command.customerName}`,
      typedSearchAttributes: new TypedSearchAttributes([
        { key: ORDER_STATUS_ATTRIBUTE, value: 'PENDING' },
        { key: CUSTOMER_ID_ATTRIBUTE, value: command.customerId },
        { key: ORDER_TOTAL_ATTRIBUTE, value: toAmount(totalCents) },
      ]),
    };
  }

  /** Sends a command as an Update, with the receipt this process holds for the order, if any. */
  private async update<C extends ChangeOrderStatus | CancelOrder>(
    command: C,
    definition: UpdateDefinition<CommandAnswer, [C, AppendReceipt?]>,
  ): Promise<OrderSnapshot> {
    const appendedThrough = this.receipts.get(command.orderId);
    const args: [C, AppendReceipt?] = appendedThrough === undefined ? [command] : [command, { appendedThrough }];
    const send = () => this.handle(command.orderId).executeUpdate(definition, { args, updateId: command.commandId });
    let answer: CommandAnswer;
    try {
      answer = await this.inFlight(() => this.resendUnprocessed(() => this.bounded(send)));
    } catch (error) {
      if (isFinished(error)) return this.replayFinished(command);
      await this.unstickAfterTimeout(command.orderId, error);
      throw translate(error);
    }
    return this.settle(command.orderId, answer);
  }

  /**
   * An Update that got no answer in time most often met an order whose workflow task went to a
   * worker that is gone (its sticky queue): seen after a worker was killed, the order then
   * answered nothing for minutes. Resetting the sticky queue, Temporal's own remedy for a worker
   * that lost a workflow, sends the next task, and so the client's retry, to every worker.
   */
  private async unstickAfterTimeout(orderId: string, error: unknown): Promise<void> {
    if (!(error instanceof WorkflowUpdateRPCTimeoutOrCancelledError)) return;
    try {
      await this.client.withDeadline(Date.now() + 2000, () =>
        this.client.workflowService.resetStickyTaskQueue({ namespace: this.client.options.namespace, execution: { workflowId: orderWorkflowId(orderId) } }),
      );
    } catch {
      // Best effort: the client is told to retry either way.
    }
  }

  private async inFlight<T>(send: () => Promise<T>): Promise<T> {
    this.awaitingAnswer += 1;
    try {
      return await send();
    } finally {
      this.awaitingAnswer -= 1;
      // After the answer's own append, which follows in microtasks: a check phase comes later.
      if (this.options.onAnswered) setImmediate(this.options.onAnswered);
    }
  }

  /**
   * Appends what the workflow handed back, so that the read models show the command once it is
   * answered, and gives the workflow a receipt for it, so that it need not deliver the events
   * itself: on this process's next command to the order, or at once when the order is terminal
   * and none will follow. Without a receipt (the append failed, this process stopped, the next
   * command went elsewhere) the workflow delivers them after its DELIVERY_DELAY.
   */
  private async settle(orderId: string, { eventsToAppend, ...order }: CommandAnswer): Promise<OrderSnapshot> {
    if (!eventsToAppend?.length || !this.options.appendEvents) return order;
    if (!(await this.options.appendEvents(eventsToAppend))) return order;
    this.receipts.delete(orderId);
    if (isTerminal(order.status)) {
      // Not awaited: the client's answer does not depend on it, and a lost receipt only costs a delivery.
      this.bounded(() => this.handle(orderId).signal(eventsAppendedSignal, { appendedThrough: order.version })).catch((error: unknown) =>
        this.options.onReceiptLost?.(orderId, error),
      );
    } else {
      this.receipts.set(orderId, order.version);
      if (this.receipts.size > RECEIPTS_KEPT) this.receipts.delete(this.receipts.keys().next().value!);
    }
    return order;
  }

  /**
   * The server fails an update with `UnprocessedUpdate` when a workflow task completed without
   * taking it (seen when many updates race on one order).
   * Nothing of it was recorded, so it is sent again, with the same update id.
   */
  private async resendUnprocessed<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await send();
      } catch (error) {
        const unprocessed = error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === 'UnprocessedUpdate';
        if (!unprocessed || attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  }

  private async signal(command: ChangeOrderStatus | CancelOrder, send: (handle: OrderHandle) => Promise<void>) {
    try {
      await this.bounded(() => send(this.handle(command.orderId)));
      return accepted(command);
    } catch (error) {
      if (isFinished(error)) {
        await this.replayFinished(command);
        return accepted(command);
      }
      throw translate(error);
    }
  }

  /**
   * A command reached an order whose workflow has finished (or, for a create, whose id was used).
   * A repeated commandId still gets its first answer; anything else is refused like any other
   * forbidden transition.
   */
  private async replayFinished(command: OrderCommand): Promise<OrderSnapshot> {
    const found = await this.writeModel<{ order: OrderSnapshot | null; outcome: CommandOutcome | null | undefined }>(
      command.orderId,
      async (handle) => ({
        order: await handle.query(getOrderQuery),
        outcome: await handle.query(getCommandOutcomeQuery, command.commandId),
      }),
      (result) => ({ order: result.order, outcome: outcomeIn(result, command.commandId) }),
    );
    const order = found?.order;
    const outcome = found?.outcome ?? undefined;
    if (!order) {
      if (command.type === 'CreateOrder') throw new DomainError('ORDER_ALREADY_EXISTS', `order ${command.orderId} already exists`);
      throw new DomainError('ORDER_NOT_FOUND', `order ${command.orderId} does not exist`);
    }
    if (outcome?.accepted) return { ...order, status: outcome.status, updatedAt: outcome.updatedAt, version: outcome.version };
    if (outcome && !outcome.accepted) throw new DomainError(outcome.code as ErrorCode, outcome.message);
    if (command.type === 'CreateOrder') throw new DomainError('ORDER_ALREADY_EXISTS', `order ${command.orderId} already exists`);
    const target = command.type === 'CancelOrder' ? 'CANCELLED' : command.status;
    throw new DomainError('INVALID_TRANSITION', `order ${command.orderId} cannot go from ${order.status} to ${target} (${order.status} is final)`);
  }

  private bounded<T>(call: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + this.commandTimeoutMs, call);
  }
}

type OrderHandle = WorkflowHandle<typeof orderWorkflow>;

function outcomeIn(result: OrderWorkflowResult, commandId: string): CommandOutcome | undefined {
  return findOutcome({ createdAt: result.order?.createdAt, createCommandId: result.createCommandId, recentCommands: result.recentCommands }, commandId);
}

function accepted(command: OrderCommand): AcceptedCommand {
  return { commandId: command.commandId, orderId: command.orderId };
}

function grpcCode(error: unknown): number | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth += 1) {
    if (isGrpcServiceError(current)) return current.code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isAlreadyStarted(error: unknown): boolean {
  return grpcCode(error) === GrpcStatus.ALREADY_EXISTS;
}

/** The workflow exists no more as a running execution: it finished, or never was. */
function isFinished(error: unknown): boolean {
  return error instanceof WorkflowNotFoundError || grpcCode(error) === GrpcStatus.NOT_FOUND;
}

/** Maps a Temporal error to the domain's coded errors; anything unknown passes through as is. */
export function translate(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const failure = error.cause;
    if (failure.type && (KNOWN_CODES as readonly string[]).includes(failure.type)) {
      const fieldErrors = (failure.details?.[0] as FieldError[] | undefined) ?? [];
      return new DomainError(failure.type as ErrorCode, failure.message, fieldErrors);
    }
  }
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new DomainError('UNAVAILABLE', 'the order did not answer in time; retry with the same Idempotency-Key');
  }
  const code = grpcCode(error);
  if (code === GrpcStatus.RESOURCE_EXHAUSTED) {
    return new DomainError('UNAVAILABLE', 'the order is busy with other commands; retry with the same Idempotency-Key');
  }
  if (code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.DEADLINE_EXCEEDED || code === GrpcStatus.CANCELLED) {
    return new DomainError('UNAVAILABLE', 'the workflow service is unavailable; retry with the same Idempotency-Key');
  }
  return error;
}
