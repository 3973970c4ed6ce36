/**
 * Activities of the order workflow, built from their dependencies so that the worker decides what
 * they talk to. The workflow imports only the type.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { RecordedEvent } from '../src/domain/order';
import type { EventLogWriter } from '../src/clickhouse/eventLog';
import type { Metrics } from '../src/metrics';

export interface ActivityDeps {
  eventLog: EventLogWriter;
  metrics?: Metrics;
}

export function createActivities({ eventLog, metrics }: ActivityDeps) {
  return {
    /**
     * Appends an order's events to the event log; completes only once they are written. Safe to
     * retry: events carry deterministic ids and every read model ignores a second copy.
     */
    async recordOrderEvents(events: RecordedEvent[]): Promise<void> {
      if (!Array.isArray(events)) throw ApplicationFailure.nonRetryable('events must be an array', 'VALIDATION_FAILED');
      if (metrics && Context.current().info.attempt > 1) metrics.appendRetries.inc();
      try {
        await eventLog.append(events);
        Context.current().log.info('events appended', {
          orderId: events[0]?.event.orderId,
          versions: events.map(({ event }) => event.version),
          commandIds: events.map(({ event }) => event.commandId),
          correlationIds: [...new Set(events.map(({ event }) => event.correlationId))],
        });
        if (metrics) {
          const now = Date.now();
          for (const { event } of events) metrics.projectionLag.observe(Math.max(0, now - Date.parse(event.occurredAt)) / 1000);
        }
      } catch (error) {
        Context.current().log.warn('appending events failed; will retry', {
          orderId: events[0]?.event.orderId,
          versions: events.map((entry) => entry.event.version),
          commandIds: events.map((entry) => entry.event.commandId),
          correlationIds: [...new Set(events.map((entry) => entry.event.correlationId))],
          error: error instanceof Error ? error.message : String(error),
        });
        throw error;
      }
    },
  };
}
