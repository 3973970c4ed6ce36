/**
 * The API's way into the write model. A command goes to its order's workflow (orderWorkflows.ts)
 * under the command policy (commandPolicy.ts); its answer's events are appended to the event log
 * before it is answered, and the append is acknowledged to the workflow (appendReceipts.ts). A
 * command to an order whose workflow has finished is judged by the domain's own rules.
 */
import type { Client } from '@temporalio/client';
import type { AcceptedCommand, OrderCommands } from '../api/ports';
import { DomainError, ErrorCode } from '../domain/errors';
import { decide, snapshot } from '../domain/order';
import type { CancelOrder, ChangeOrderStatus, CreateOrder, OrderCommand, OrderSnapshot, RecordedEvent } from '../domain/order';
import { answerAgain, AppendReceipt, CommandAnswer, CommandOutcome } from '../../workflows/messages';
import { AppendReceipts } from './appendReceipts';
import { CommandPolicy } from './commandPolicy';
import { isFinished, isUsedOrderId, OrderWorkflows, translate } from './orderWorkflows';

/** Where the events of an answered command go before the command is answered. */
export interface AnswerLog {
  /**
   * Says that a command's events are on their way (it was sent to its workflow), so that a batch
   * of the log may wait for them; the returned function says they were offered, or will not come.
   */
  announce(): () => void;
  /**
   * Appends the events (offering them before it returns) and says whether they are now in the log
   * and in every read model. Must not throw: the command stands either way, and its workflow
   * delivers what it gets no receipt for.
   */
  append(events: RecordedEvent[]): Promise<boolean>;
}

export interface OrderGatewayOptions {
  taskQueue: string;
  /** The payment window of the orders this gateway creates (PENDING_ORDER_TIMEOUT); unset: none. */
  paymentWindowMs?: number;
  /** How long a synchronous command may wait for its workflow's answer. */
  commandTimeoutMs?: number;
  /** Unset: nothing is appended, and every order's workflow delivers its events itself. */
  answerLog?: AnswerLog;
  /** A receipt could not be sent (its workflow then delivers those events itself). */
  onReceiptLost?: (orderId: string, error: unknown) => void;
}

export class OrderGateway implements OrderCommands {
  private readonly workflows: OrderWorkflows;
  private readonly policy: CommandPolicy;
  private readonly receipts: AppendReceipts;
  private readonly answerLog: AnswerLog | undefined;

  constructor(client: Client, options: OrderGatewayOptions) {
    this.workflows = new OrderWorkflows(client, options.taskQueue, options.paymentWindowMs);
    this.policy = new CommandPolicy(this.workflows, options.commandTimeoutMs);
    this.receipts = new AppendReceipts({
      send: (orderId, receipt, stopping) => this.sendReceipt(orderId, receipt, stopping),
      onLost: options.onReceiptLost,
    });
    this.answerLog = options.answerLog;
  }

  /** Creates the order's workflow and the order in one step; 409 if the orderId was ever used. */
  create(command: CreateOrder): Promise<OrderSnapshot> {
    return this.send(command, () => this.workflows.create(command), isUsedOrderId);
  }

  changeStatus(command: ChangeOrderStatus): Promise<OrderSnapshot> {
    return this.send(command, (receipt) => this.workflows.update(command, receipt), isFinished);
  }

  cancel(command: CancelOrder): Promise<OrderSnapshot> {
    return this.send(command, (receipt) => this.workflows.update(command, receipt), isFinished);
  }

  /** Sends the create as a signal: answers once Temporal has recorded it, not once it is applied. */
  createAsync(command: CreateOrder): Promise<AcceptedCommand> {
    return this.signal(command, () => this.workflows.createAsync(command), isUsedOrderId);
  }

  changeStatusAsync(command: ChangeOrderStatus): Promise<AcceptedCommand> {
    return this.signal(command, () => this.workflows.signal(command), isFinished);
  }

  cancelAsync(command: CancelOrder): Promise<AcceptedCommand> {
    return this.signal(command, () => this.workflows.signal(command), isFinished);
  }

  /** The write model's current order (a strongly consistent read), or undefined. */
  async read(orderId: string): Promise<OrderSnapshot | undefined> {
    const state = (await this.writeModel(orderId))?.state;
    return state ? snapshot(state) : undefined;
  }

  /** What became of a command sent to an order, or undefined if the order has not seen it. */
  async outcome(orderId: string, commandId: string): Promise<CommandOutcome | undefined> {
    return (await this.writeModel(orderId, commandId))?.outcome;
  }

  /** Asks an order whose event the log refused to deliver it again (its cause is fixed). */
  async redeliver(orderId: string): Promise<void> {
    try {
      await this.policy.bounded(() => this.workflows.redeliver(orderId));
    } catch (error) {
      throw translate(error);
    }
  }

  /**
   * The process is stopping: sends the receipts still held (waiting for them at most `withinMs`) and
   * any later one at once. Call it after the HTTP server stopped and before the Temporal client closes.
   */
  close(withinMs: number): Promise<void> {
    return this.receipts.close(withinMs);
  }

  /**
   * Sends a command as an Update, carrying the order's receipt, appends the events it answers with,
   * and acknowledges the append.
   */
  private async send(
    command: OrderCommand,
    call: (receipt?: AppendReceipt) => Promise<CommandAnswer>,
    finished: (error: unknown) => boolean,
  ): Promise<OrderSnapshot> {
    const offered = this.answerLog?.announce();
    const taken = this.receipts.take(command.orderId);
    let answer: CommandAnswer;
    try {
      answer = await this.policy.update(command.orderId, () => call(taken?.receipt));
    } catch (error) {
      offered?.();
      if (taken) this.receipts.giveBack(command.orderId, taken);
      if (finished(error)) return this.answerFinished(command);
      throw translate(error);
    }
    const { eventsToAppend, ...order } = answer;
    if (!this.answerLog || eventsToAppend.length === 0) {
      offered?.();
      return order;
    }
    const appending = this.answerLog.append(eventsToAppend);
    offered?.();
    if (await appending) this.receipts.appended(order);
    return order;
  }

  /** A receipt for an order whose workflow has finished is not needed: nothing is left to deliver. */
  private async sendReceipt(orderId: string, receipt: AppendReceipt, stopping: boolean): Promise<void> {
    try {
      if (stopping) await this.policy.bounded(() => this.workflows.signalReceipt(orderId, receipt));
      else await this.policy.update(orderId, () => this.workflows.sendReceipt(orderId, receipt));
    } catch (error) {
      if (!isFinished(error)) throw error;
    }
  }

  private async signal(command: OrderCommand, call: () => Promise<void>, finished: (error: unknown) => boolean): Promise<AcceptedCommand> {
    try {
      await this.policy.bounded(call);
    } catch (error) {
      if (!finished(error)) throw translate(error);
      // A repeat of a command the order took gets its first answer; anything else its refusal.
      await this.answerFinished(command);
    }
    return { commandId: command.commandId, orderId: command.orderId };
  }

  /**
   * A command reached an order whose workflow has finished (or, for a create, an orderId once
   * used). A repeated commandId gets its first answer; anything else meets the domain's refusal,
   * as the workflow would have refused it.
   */
  private async answerFinished(command: OrderCommand): Promise<OrderSnapshot> {
    const kept = await this.writeModel(command.orderId, command.commandId);
    const state = kept?.state ?? undefined;
    const outcome = kept?.outcome;
    if (outcome?.accepted && state) return answerAgain(state, outcome);
    if (outcome && !outcome.accepted) throw new DomainError(outcome.code as ErrorCode, outcome.message);
    decide(state, command, new Date());
    // Accepted by the rules, yet its workflow has ended: a create of a used orderId, or an order an
    // operator terminated.
    if (command.type === 'CreateOrder') throw new DomainError('ORDER_ALREADY_EXISTS', `order ${command.orderId} already exists`);
    throw new DomainError('INVALID_TRANSITION', `order ${command.orderId} is closed: its workflow has ended`);
  }

  private async writeModel(orderId: string, commandId?: string) {
    try {
      return await this.policy.bounded(() => this.workflows.writeModel(orderId, commandId));
    } catch (error) {
      throw translate(error);
    }
  }
}
