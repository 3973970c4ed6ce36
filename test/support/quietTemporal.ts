/** Keeps the Temporal SDK to warnings in test output; its routine INFO lines bury the results. */
import { inspect } from 'node:util';
import { DefaultLogger, LogEntry, Runtime } from '@temporalio/worker';

/**
 * Warnings a test provokes on purpose (a fault it injects), left out of its output. The module is
 * shared with the test file, which sets this.
 */
export const expectedTemporalWarnings: { pattern?: RegExp } = {};

function print(entry: LogEntry): void {
  const text = `${entry.message} ${entry.meta ? inspect(entry.meta) : ''}`;
  if (entry.level === 'WARN' && expectedTemporalWarnings.pattern?.test(text)) return;
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  console.error(`${time} [${entry.level}] ${entry.message}`, entry.meta ?? '');
}

Runtime.install({ logger: new DefaultLogger('WARN', print) });
