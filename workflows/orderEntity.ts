/**
 * The order as its workflow holds it: the state the domain's events built, and the answers it gave,
 * so that a repeated commandId gets its first answer again. Every rule comes from the domain's
 * `decide()` and `evolve()`; this adds only what a long-lived entity needs around them.
 */
import { ApplicationFailure, log } from '@temporalio/workflow';
import { DomainError, ErrorCode } from '../src/domain/errors';
import {
  awaitsPayment,
  decide,
  evolve,
  ExpirePaymentWindow,
  isTerminal,
  OrderCommand,
  OrderSnapshot,
  OrderState,
  readCommand,
  RecordedEvent,
  recorded,
  snapshot,
  SYSTEM_COMMAND_ID_PREFIX,
} from '../src/domain/order';
import { answerAgain, CommandOutcome, findOutcome, OrderWorkflowInput, OrderWorkflowResult } from './messages';

/** Enough to answer any realistic client retry; bounded so that continue-as-new stays small. */
const RECENT_COMMANDS_KEPT = 200;

/** What an applied command produced: its answer, and the events it recorded (none for a repeat). */
export interface Applied {
  answer: OrderSnapshot;
  events: RecordedEvent[];
}

/**
 * Commands from clients reach the entity as any Temporal client sent them: each is read with the
 * domain's schemas, and refused if it names another order than this workflow's, before anything
 * else. The order's own command (its payment window's expiry) comes from its workflow alone.
 */
export class OrderEntity {
  private readonly orderId: string;
  private current: OrderState | undefined;
  private readonly recentCommands: CommandOutcome[];
  private createCommandId: string | undefined;
  private readonly paymentWindowMs: number | undefined;

  constructor(input: OrderWorkflowInput) {
    this.orderId = input.orderId;
    this.current = input.state;
    this.recentCommands = input.recentCommands ?? [];
    this.createCommandId = input.createCommandId;
    this.paymentWindowMs = input.paymentWindowMs;
  }

  get state(): OrderState | undefined {
    return this.current;
  }

  /**
   * When the order's payment window closes: its createdAt plus the window, an instant that each
   * run after a continue-as-new computes alike. Undefined without a window or before the create.
   */
  get paymentDeadline(): Date | undefined {
    if (this.paymentWindowMs === undefined || this.current === undefined) return undefined;
    return new Date(Date.parse(this.current.createdAt) + this.paymentWindowMs);
  }

  /** The order exists and awaits payment: its payment window, if it has one, is open. */
  get awaitsPayment(): boolean {
    return this.current !== undefined && awaitsPayment(this.current.status);
  }

  get isTerminal(): boolean {
    return this.current !== undefined && isTerminal(this.current.status);
  }

  outcomeOf(commandId: string): CommandOutcome | undefined {
    return findOutcome({ createdAt: this.current?.createdAt, createCommandId: this.createCommandId, recentCommands: this.recentCommands }, commandId);
  }

  /** Throws the DomainError a client's command would meet, without changing anything. */
  validate(untrusted: unknown): void {
    const command = readCommand(untrusted, this.orderId);
    if (this.outcomeOf(command.commandId)) return;
    decide(this.current, command, new Date());
  }

  /** Applies a client's command, or answers a repeated one as it was answered first. Throws a DomainError. */
  apply(untrusted: unknown): Applied {
    return this.applyCommand(readCommand(untrusted, this.orderId));
  }

  /** Applies the expiry of the order's payment window, which its workflow sends when the deadline passes. Throws a DomainError. */
  expire(command: ExpirePaymentWindow): Applied {
    return this.applyCommand(command);
  }

  private applyCommand(command: OrderCommand): Applied {
    const earlier = this.outcomeOf(command.commandId);
    if (earlier) return { answer: this.answerAgain(earlier), events: [] };
    const events = decide(this.current, command, new Date()).map((event) => {
      this.current = evolve(this.current, event);
      return recorded(event, this.current);
    });
    const state = this.current!;
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
    return { answer: snapshot(state), events };
  }

  /**
   * A signal cannot answer, so its rejection is kept where a query (and the Web UI) can see it,
   * under the commandId it gave, even when the rest of it was malformed; without one, or under an
   * id of the system's own (which would answer the system's command as this refusal), only logged.
   */
  reject(untrusted: unknown, error: DomainError): void {
    const { commandId, correlationId } = idsOf(untrusted);
    if (commandId !== undefined && !commandId.startsWith(SYSTEM_COMMAND_ID_PREFIX)) {
      if (this.outcomeOf(commandId)) return;
      this.remember({ commandId, accepted: false, code: error.code, message: error.message });
    }
    log.warn('signal rejected', { orderId: this.orderId, commandId, correlationId, code: error.code, reason: error.message });
  }

  carry(): Pick<OrderWorkflowInput, 'state' | 'recentCommands' | 'createCommandId' | 'paymentWindowMs'> {
    return { state: this.current, recentCommands: this.recentCommands, createCommandId: this.createCommandId, paymentWindowMs: this.paymentWindowMs };
  }

  result(): OrderWorkflowResult {
    return { state: this.current ?? null, createCommandId: this.createCommandId, recentCommands: this.recentCommands };
  }

  /** A repeat of a refused signal is refused again, with the same code and message. */
  private answerAgain(outcome: CommandOutcome): OrderSnapshot {
    if (!outcome.accepted) throw new DomainError(outcome.code as ErrorCode, outcome.message);
    return answerAgain(this.current!, outcome);
  }

  private remember(outcome: CommandOutcome): void {
    this.recentCommands.push(outcome);
    if (this.recentCommands.length > RECENT_COMMANDS_KEPT) this.recentCommands.splice(0, this.recentCommands.length - RECENT_COMMANDS_KEPT);
  }
}

/** The ids a command gave, as far as it gave them. */
function idsOf(untrusted: unknown): { commandId?: string; correlationId?: string } {
  const { commandId, correlationId } = (typeof untrusted === 'object' && untrusted !== null ? untrusted : {}) as Record<string, unknown>;
  return { commandId: typeof commandId === 'string' ? commandId : undefined, correlationId: typeof correlationId === 'string' ? correlationId : undefined };
}

/** A rejection carries the domain's stable code as its type, which the API maps to its HTTP status. */
export function asFailure(error: unknown): unknown {
  if (error instanceof DomainError) {
    return ApplicationFailure.create({ type: error.code, message: error.message, nonRetryable: true, details: [error.fieldErrors] });
  }
  return error;
}
