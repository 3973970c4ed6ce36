/**
 * Activities of the order workflow, built from their dependencies so that the worker decides what
 * they talk to. The workflow imports only the type.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { RecordedEvent } from '../src/domain/order';
import { eventLogFields, type EventLogWriter } from '../src/clickhouse/eventLog';
import { EventRefusedError } from '../src/clickhouse/refusal';
import type { RefusedEvents } from '../src/clickhouse/refusedEvents';
import type { Logger } from '../src/logger';
import type { Metrics } from '../src/metrics';
import type { EventRefusal } from '../workflows/messages';

export interface ActivityDeps {
  eventLog: Pick<EventLogWriter, 'append'>;
  /** Where a refused event is recorded for operators, and marked redelivered. */
  refusedEvents: RefusedEvents;
  /** The service's logger: it drops lines below its level before building them. */
  log: Logger;
  metrics?: Metrics;
}

export function createActivities({ eventLog, refusedEvents, log, metrics }: ActivityDeps) {
  return {
    /**
     * The workflow's delivery of its outbox, some time after the commands were answered: the API
     * appends a command's events itself before answering, so this runs only when it could not
     * (it crashed, ClickHouse was away) or no caller was there to append (a signal). It writes
     * whatever the log does not hold yet. Safe to retry: events carry deterministic ids.
     *
     * Answers null once every event is in, or the refusal when the log refused one for good: that
     * event is then recorded for operators, and it and the later ones stay in the workflow. `held`
     * is the refusal these events were held by, cleared here once they went in.
     */
    async deliverOrderEvents(events: RecordedEvent[], held: EventRefusal | null): Promise<EventRefusal | null> {
      if (!Array.isArray(events)) throw ApplicationFailure.nonRetryable('events must be an array', 'VALIDATION_FAILED');
      // The ids a grep follows a command by, and which activity and workflow this is.
      const { activityType, workflowExecution, attempt } = Context.current().info;
      const ids = { ...eventLogFields(events), workflowId: workflowExecution?.workflowId, activityType, attempt };
      if (metrics && ids.attempt > 1) metrics.appendRetries.inc();
      let written: number;
      try {
        written = await eventLog.append(events);
      } catch (error) {
        if (!(error instanceof EventRefusedError)) {
          log.warn({ ...ids, err: error }, 'delivering events failed; will retry');
          throw error;
        }
        const refused = events.find(({ event }) => event.eventId === error.eventId)!;
        // The log took the events before the refused one: the held event too, when it is not the one refused again.
        if (held && held.eventId !== error.eventId) await refusedEvents.redelivered(held.eventId);
        await refusedEvents.record(refused, error.reason);
        metrics?.eventsRefused.inc();
        log.error({ ...ids, eventId: error.eventId, reason: error.reason }, 'the event log refused an event; it waits in its workflow for a redelivery');
        return { eventId: error.eventId, version: refused.event.version, reason: error.reason };
      }
      if (held) await refusedEvents.redelivered(held.eventId);
      log.info({ ...ids, written, alreadyInLog: events.length - written }, held ? 'refused events redelivered' : 'events delivered');
      return null;
    },
  };
}
