/**
 * The ClickHouse part of the service: the connections, the schema, the one event log writer every
 * role of this process appends through, and the record of events the log refused.
 */
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { ClickHouse, openClickHouse } from '../clickhouse/client';
import { EventLogWriter, eventsFullyIn, EventRow, fromClickHouseTime, insertEventRows } from '../clickhouse/eventLog';
import { countAwaitingRedelivery, refusedEventsIn, RefusedEvents } from '../clickhouse/refusedEvents';
import { applySchema } from '../clickhouse/schema';
import type { Stops } from './stops';

export interface Storage {
  ch: ClickHouse;
  /** Shared by the API (the events of the commands it answers) and the worker (deliveries): in one process they share batches. */
  eventLog: EventLogWriter;
  refusedEvents: RefusedEvents;
}

export interface StorageOptions {
  say: (message: string) => void;
  log: Logger;
  metrics: Metrics;
  /** Wraps the connections as they open (tests inject faults here). */
  wrap?: (ch: ClickHouse) => ClickHouse;
}

export async function openStorage(config: Config, options: StorageOptions, stops: Stops): Promise<Storage> {
  options.say(
    config.clickhouseUrl ? `connecting to ClickHouse at ${redactUrl(config.clickhouseUrl)}` : `opening the embedded ClickHouse under ${config.dataDir}`,
  );
  const opened = await openClickHouse(config);
  stops.push('ClickHouse', () => opened.close());
  const ch = options.wrap ? options.wrap(opened) : opened;
  await applySchema(ch, options.say);
  const eventLog = new EventLogWriter(
    (rows) => insertEventRows(ch, rows),
    (rows) => eventsFullyIn(ch, rows),
    { minIntervalMs: config.eventLogBatchIntervalMs, onBatch: observeBatch(options.log, options.metrics) },
  );
  stops.push('the event log writer', () => eventLog.close());
  options.metrics.countRefusedEventsWith(() => countAwaitingRedelivery(ch));
  return { ch, eventLog, refusedEvents: refusedEventsIn(ch) };
}

/** Each insert into the event log, in metrics and at debug level in the log. */
function observeBatch(log: Logger, metrics: Metrics) {
  return (rows: EventRow[], millis: number, error?: unknown) => {
    metrics.appendDuration.observe({ result: error ? 'failed' : 'ok' }, millis / 1000);
    if (error) {
      log.warn({ rows: rows.length, millis, err: error }, 'event log insert failed');
      return;
    }
    if (rows.length > 0) metrics.appendBatchRows.observe(rows.length);
    metrics.eventsAppended.inc(rows.length);
    const now = Date.now();
    for (const row of rows) metrics.projectionLag.observe(Math.max(0, now - Date.parse(fromClickHouseTime(row.occurred_at))) / 1000);
    log.debug({ rows: rows.length, millis }, 'event log insert');
  };
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = parsed.password ? '***' : '';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}
