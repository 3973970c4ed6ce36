/**
 * The baseline of the command benchmark: what Temporal itself does for one order's four
 * commands (a start and three Updates) when the workflow does nothing with them.
 */
import { allHandlersFinished, condition, defineUpdate, setHandler } from '@temporalio/workflow';

export const noopUpdate = defineUpdate<number, [string]>('noop');

export async function noopWorkflow(): Promise<void> {
  let updates = 0;
  setHandler(noopUpdate, () => (updates += 1));
  await condition(() => updates >= 3);
  await condition(allHandlersFinished);
}
