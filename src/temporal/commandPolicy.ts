/**
 * How the API keeps its calls to order workflows from hanging, or failing for a passing reason: a
 * deadline on every call, an Update the server left unprocessed sent again, and after an Update
 * that got no answer in time, the order's workflow unstuck for the client's retry.
 */
import { isUnprocessedUpdate, isUpdateTimeout, OrderWorkflows } from './orderWorkflows';

/** How long a command may wait for its workflow's answer, by default. */
const COMMAND_TIMEOUT_MS = 15_000;
/** Sends of one Update left unprocessed before its caller is told. */
const UNPROCESSED_SENDS = 5;
/** The bound on unsticking an order: it is best effort, the client retries either way. */
const UNSTICK_TIMEOUT_MS = 2000;

export class CommandPolicy {
  constructor(
    private readonly workflows: OrderWorkflows,
    private readonly timeoutMs = COMMAND_TIMEOUT_MS,
  ) {}

  /** A call that gives up at the deadline. */
  bounded<T>(call: () => Promise<T>): Promise<T> {
    return this.workflows.client.withDeadline(Date.now() + this.timeoutMs, call);
  }

  /** An Update: bounded, sent again while the server leaves it unprocessed, its order unstuck if it timed out. */
  async update<T>(orderId: string, send: () => Promise<T>): Promise<T> {
    try {
      return await this.resendUnprocessed(() => this.bounded(send));
    } catch (error) {
      if (isUpdateTimeout(error)) await this.unstick(orderId);
      throw error;
    }
  }

  /** Nothing of an unprocessed Update was recorded, so it is sent again with the same update id. */
  private async resendUnprocessed<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await send();
      } catch (error) {
        if (!isUnprocessedUpdate(error) || attempt >= UNPROCESSED_SENDS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  }

  /**
   * An Update that got no answer in time most often met an order whose workflow task went to a
   * worker that is gone (its sticky queue): after a worker was killed, such an order answered
   * nothing for minutes. Resetting the sticky queue sends the next task, and so the client's
   * retry, to every worker.
   */
  private async unstick(orderId: string): Promise<void> {
    try {
      await this.workflows.client.withDeadline(Date.now() + UNSTICK_TIMEOUT_MS, () => this.workflows.resetStickyQueue(orderId));
    } catch {
      // Best effort: the client is told to retry either way.
    }
  }
}
