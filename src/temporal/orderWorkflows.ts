/**
 * The Temporal calls that reach order workflows, one per message, and the translation of
 * Temporal's errors into the domain's coded errors. Nothing here retries or waits: that is the
 * command policy's job (commandPolicy.ts).
 */
import {
  Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowHandle,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, TypedSearchAttributes } from '@temporalio/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { DomainError, ErrorCode, FieldError } from '../domain/errors';
import { toAmount } from '../domain/money';
import { lineTotalCents } from '../domain/order';
import type { CancelOrder, ChangeOrderStatus, CreateOrder, OrderState } from '../domain/order';
import type { orderWorkflow } from '../../workflows/order';
import * as messages from '../../workflows/messages';
import type { AppendReceipt, CommandAnswer, CommandOutcome, OrderWorkflowResult } from '../../workflows/messages';
import { grpcCode, isUnreachable } from './grpcErrors';

type OrderHandle = WorkflowHandle<typeof orderWorkflow>;
type StatusCommand = ChangeOrderStatus | CancelOrder;

/** What an order's workflow keeps: its state, and the outcome a command got (if asked). */
export interface WriteModel {
  state: OrderState | null;
  outcome?: CommandOutcome;
}

export class OrderWorkflows {
  /**
   * @param paymentWindowMs how long a new order may stay PENDING (PENDING_ORDER_TIMEOUT): part of
   * its workflow's input, so an order keeps the window it started with whatever later processes set.
   */
  constructor(
    readonly client: Client,
    private readonly taskQueue: string,
    private readonly paymentWindowMs?: number,
  ) {}

  /** Starts the order's workflow and applies its create command in one step (an Update-with-Start). */
  create(command: CreateOrder): Promise<CommandAnswer> {
    return this.client.workflow.executeUpdateWithStart(messages.createOrderUpdate, {
      args: [command],
      updateId: command.commandId,
      // A start operation can be used once: a resend builds its own.
      startWorkflowOperation: new WithStartWorkflowOperation<typeof orderWorkflow>('orderWorkflow', this.startOptions(command)),
    });
  }

  /** The same, as a signal: done once Temporal has recorded it, not once it is applied. */
  async createAsync(command: CreateOrder): Promise<void> {
    await this.client.workflow.signalWithStart<typeof orderWorkflow, [CreateOrder]>('orderWorkflow', {
      ...this.startOptions(command),
      signal: messages.createOrderSignal,
      signalArgs: [command],
    });
  }

  /** A status change or a cancellation as an Update, carrying the receipt for earlier appends. */
  update(command: StatusCommand, receipt: AppendReceipt | undefined): Promise<CommandAnswer> {
    const handle = this.handle(command.orderId);
    const options = { updateId: command.commandId };
    if (command.type === 'CancelOrder') return handle.executeUpdate(messages.cancelOrderUpdate, { ...options, args: receipt ? [command, receipt] : [command] });
    return handle.executeUpdate(messages.changeOrderStatusUpdate, { ...options, args: receipt ? [command, receipt] : [command] });
  }

  signal(command: StatusCommand): Promise<void> {
    const handle = this.handle(command.orderId);
    return command.type === 'CancelOrder' ? handle.signal(messages.cancelOrderSignal, command) : handle.signal(messages.changeOrderStatusSignal, command);
  }

  /**
   * A receipt alone, for an order no command followed soon, or none will. An Update rather than a
   * signal: its workflow task is recorded once, with its completion, where a signal's is recorded
   * when scheduled, when started and when completed (docs/decisions/0068-a-receipt-alone-is-an-update.md).
   * Its id names what it covers, so a receipt sent again is recognised as the same one.
   */
  async sendReceipt(orderId: string, receipt: AppendReceipt): Promise<void> {
    await this.handle(orderId).executeUpdate(messages.eventsAppendedUpdate, {
      args: [receipt],
      updateId: `appended-through-${receipt.appendedThrough}`,
    });
  }

  /** A receipt alone from a process that is stopping: recorded by the server, taken by a later workflow task. */
  signalReceipt(orderId: string, receipt: AppendReceipt): Promise<void> {
    return this.handle(orderId).signal(messages.eventsAppendedSignal, receipt);
  }

  /** Asks the order to deliver the events the event log refused again. */
  redeliver(orderId: string): Promise<void> {
    return this.handle(orderId).signal(messages.redeliverEventsSignal);
  }

  /**
   * Reads the order's workflow: by query while it runs; from its result once it has finished, which
   * needs no worker to replay its history. Undefined when there is no such workflow.
   */
  async writeModel(orderId: string, commandId?: string): Promise<WriteModel | undefined> {
    const handle = this.handle(orderId);
    try {
      const { status } = await handle.describe();
      if (status.name !== 'RUNNING') {
        try {
          const result = await handle.result();
          return { state: result.state, outcome: commandId === undefined ? undefined : outcomeIn(result, commandId) };
        } catch (error) {
          // Terminated or failed by an operator: only a replay (through the queries) can tell.
          if (!(error instanceof WorkflowFailedError)) throw error;
        }
      }
      const [state, outcome] = await Promise.all([
        handle.query(messages.getOrderQuery),
        commandId === undefined ? undefined : handle.query(messages.getCommandOutcomeQuery, commandId),
      ]);
      return { state, outcome: outcome ?? undefined };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  /** Sends the workflow's next task to any worker, not the one that last ran it (Temporal's remedy for a lost worker). */
  async resetStickyQueue(orderId: string): Promise<void> {
    await this.client.workflowService.resetStickyTaskQueue({
      namespace: this.client.options.namespace,
      execution: { workflowId: messages.orderWorkflowId(orderId) },
    });
  }

  private handle(orderId: string): OrderHandle {
    return this.client.workflow.getHandle<typeof orderWorkflow>(messages.orderWorkflowId(orderId));
  }

  private startOptions(command: CreateOrder) {
    const totalCents = command.items.reduce((sum, line) => sum + lineTotalCents(line), 0);
    return {
      workflowId: messages.orderWorkflowId(command.orderId),
      taskQueue: this.taskQueue,
      args: [{ orderId: command.orderId, paymentWindowMs: this.paymentWindowMs }] as Parameters<typeof orderWorkflow>,
      // An orderId is used once: a running order takes the create as a (rejected or repeated)
      // command, and a finished one refuses to start again.
      workflowIdConflictPolicy: 'USE_EXISTING' as const,
      workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
      staticSummary: `Order ${command.orderId} for ${command.customerName}`,
      typedSearchAttributes: new TypedSearchAttributes([
        { key: messages.ORDER_STATUS_ATTRIBUTE, value: 'PENDING' },
        { key: messages.CUSTOMER_ID_ATTRIBUTE, value: command.customerId },
        { key: messages.ORDER_TOTAL_ATTRIBUTE, value: toAmount(totalCents) },
      ]),
    };
  }
}

function outcomeIn(result: OrderWorkflowResult, commandId: string): CommandOutcome | undefined {
  return messages.findOutcome(
    { createdAt: result.state?.createdAt, createCommandId: result.createCommandId, recentCommands: result.recentCommands },
    commandId,
  );
}

/** The orderId was used by a workflow that has finished: a create cannot start it again. */
export function isUsedOrderId(error: unknown): boolean {
  return error instanceof WorkflowExecutionAlreadyStartedError || grpcCode(error) === GrpcStatus.ALREADY_EXISTS;
}

/** The workflow exists no more as a running execution: it finished, or never was. */
export function isFinished(error: unknown): boolean {
  return error instanceof WorkflowNotFoundError || grpcCode(error) === GrpcStatus.NOT_FOUND;
}

/** The server answered that the Update reached no workflow task in time (its workflow's worker may be gone). */
export function isUpdateTimeout(error: unknown): boolean {
  return error instanceof WorkflowUpdateRPCTimeoutOrCancelledError;
}

/**
 * The server failed an Update with `UnprocessedUpdate`: a workflow task completed without taking
 * it (seen when many Updates race on one order). Nothing of it was recorded.
 */
export function isUnprocessedUpdate(error: unknown): boolean {
  return error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === 'UnprocessedUpdate';
}

const KNOWN_CODES: readonly ErrorCode[] = ['VALIDATION_FAILED', 'ORDER_ALREADY_EXISTS', 'ORDER_NOT_FOUND', 'INVALID_TRANSITION'];

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
  if (isUpdateTimeout(error)) {
    return new DomainError('UNAVAILABLE', 'the order did not answer in time; retry with the same Idempotency-Key');
  }
  if (grpcCode(error) === GrpcStatus.RESOURCE_EXHAUSTED) {
    return new DomainError('UNAVAILABLE', 'the order is busy with other commands; retry with the same Idempotency-Key');
  }
  if (isUnreachable(error)) {
    return new DomainError('UNAVAILABLE', 'the workflow service is unavailable; retry with the same Idempotency-Key');
  }
  return error;
}
