/** A Temporal dev server for tests of the order workflow alone, without the service around it. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ORDER_SEARCH_ATTRIBUTES } from '../../src/temporal/searchAttributes';

/**
 * Starts the `temporal` binary at `cliPath` with the order's search attributes. The server suggests
 * continue-as-new once a history holds `suggestContinueAsNewAfter` events, so a test reaches it
 * with a few dozen commands.
 */
export function orderWorkflowEnvironment(cliPath: string, suggestContinueAsNewAfter: number): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cliPath },
      searchAttributes: [...ORDER_SEARCH_ATTRIBUTES],
      extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${suggestContinueAsNewAfter}`],
    },
  });
}
