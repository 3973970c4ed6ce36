/**
 * Activities of the order workflow, built from their dependencies so that the worker decides what
 * they talk to. The workflow imports only the type.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { RecordedEvent } from '../src/domain/order';
import { eventLogFields, type EventLogWriter } from '../src/clickhouse/eventLog';
import type { Metrics } from '../src/metrics';

export interface ActivityDeps {
  eventLog: EventLogWriter;
  metrics?: Metrics;
  /**
   * Whether the worker's logger keeps info lines (default true). When it does not, a delivery
   * does not write its "events delivered" line at all: the SDK builds an activity's log metadata
   * (its whole info) before any level is looked at, a tenth of a delivery's time in a backlog.
   */
  logsInfo?: boolean;
}

export function createActivities({ eventLog, metrics, logsInfo = true }: ActivityDeps) {
  /** Offers an order's events to the event log, which writes those it does not hold yet. */
  async function deliver(events: RecordedEvent[]): Promise<number> {
    if (!Array.isArray(events)) throw ApplicationFailure.nonRetryable('events must be an array', 'VALIDATION_FAILED');
    if (metrics && Context.current().info.attempt > 1) metrics.appendRetries.inc();
    try {
      const written = await eventLog.append(events);
      if (logsInfo) Context.current().log.info('events delivered', { ...eventLogFields(events), written, alreadyInLog: events.length - written });
      return written;
    } catch (error) {
      Context.current().log.warn('delivering events failed; will retry', {
        ...eventLogFields(events),
        error: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  }

  return {
    /**
     * The workflow's delivery of its outbox, some time after the commands were answered: the API
     * appends a command's events itself before answering, so usually every event is in the log
     * already and nothing is written. This makes sure of it when the API could not (it crashed,
     * or ClickHouse was away). Safe to retry: events carry deterministic ids.
     */
    async deliverOrderEvents(events: RecordedEvent[]): Promise<number> {
      return deliver(events);
    },

    /**
     * The delivery of workflows that ran before the API appended events itself (still scheduled
     * when their histories replay): the same, at once after each command.
     */
    async recordOrderEvents(events: RecordedEvent[]): Promise<void> {
      await deliver(events);
    },
  };
}
