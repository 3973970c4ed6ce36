/** Keeps the Temporal SDK to warnings in test output; its routine INFO lines bury the results. */
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });
