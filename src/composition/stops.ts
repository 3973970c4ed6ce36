/**
 * What the service started, each with how to stop it: stopped newest first, even when one of the
 * steps fails, so that every part can rely on those it was built from until it has stopped itself.
 */
import type { Logger } from '../logger';

export class Stops {
  private readonly steps: Array<{ name: string; stop: () => Promise<void> | void }> = [];

  constructor(private readonly log: Logger) {}

  push(name: string, stop: () => Promise<void> | void): void {
    this.steps.push({ name, stop });
  }

  async unwind(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.stop();
      } catch (error) {
        this.log.error({ err: error }, `stopping ${step.name} failed`);
      }
    }
  }
}
