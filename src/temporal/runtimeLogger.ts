import { Runtime } from '@temporalio/worker';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from '../logger';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The Temporal SDK's logs (worker, workflow and activity loggers) as lines of ours, so one stream
 * carries everything. The SDK's routine state changes go to debug to keep start-up readable.
 */
export function temporalLogger(log: Logger): TemporalLogger {
  const sdkLog = log.child({ component: 'temporal' });
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const routine = level === 'INFO' && /^(Worker state changed|Workflow bundle created|No Nexus services)|webpack/.test(message);
    sdkLog[routine ? 'debug' : LEVELS[level]](meta ?? {}, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

/** Installs the Temporal SDK's runtime once per process, logging into ours. */
export function installTemporalRuntime(log: Logger, metricsAddress?: string): void {
  Runtime.install({
    logger: temporalLogger(log),
    // The SDK's own worker metrics (task latencies, slots, polls, sticky cache) on their own endpoint.
    ...(metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } } : {}),
  });
}
