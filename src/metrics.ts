/**
 * Prometheus metrics of one process: its HTTP API, the commands it took, the events its worker
 * appended. The Temporal SDK keeps its own worker metrics in its core, exported by its own
 * Prometheus endpoint (TEMPORAL_METRICS_ADDRESS); `/metrics` appends that page to ours, so one
 * scrape sees both.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'orders_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'orders_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });

  readonly commands = new Counter({
    name: 'orders_commands_total',
    help: 'Commands received over HTTP, by type and outcome (accepted or rejected) and the code of a rejection',
    labelNames: ['type', 'outcome', 'reason'] as const,
    registers: [this.registry],
  });

  readonly eventsAppended = new Counter({
    name: 'orders_events_appended_total',
    help: 'Events written to the event log by this worker',
    registers: [this.registry],
  });

  readonly appendBatchRows = new Histogram({
    name: 'orders_event_append_batch_rows',
    help: 'Events per insert into the event log (group commit across commands and deliveries)',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000],
    registers: [this.registry],
  });

  readonly appendDuration = new Histogram({
    name: 'orders_event_append_duration_seconds',
    help: 'Time of one insert into the event log, read models included',
    labelNames: ['result'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });

  readonly appendRetries = new Counter({
    name: 'orders_event_append_retries_total',
    help: 'Delivery activities run again after a failed attempt',
    registers: [this.registry],
  });

  readonly appendsDeferred = new Counter({
    name: 'orders_event_appends_deferred_total',
    help: 'Commands answered before their events were appended (ClickHouse slow or away); their workflows deliver them',
    registers: [this.registry],
  });

  readonly receiptsLost = new Counter({
    name: 'orders_append_receipts_lost_total',
    help: 'Receipts that could not be sent; those workflows deliver the events themselves (the append skips what is in)',
    registers: [this.registry],
  });

  readonly eventsRefused = new Counter({
    name: 'orders_events_refused_total',
    help: 'Events the event log refused for good when this process delivered them; each waits in its order workflow until redelivered',
    registers: [this.registry],
  });

  /** Where the gauge below reads its figure at each scrape; unset, it stays at 0. */
  private countAwaitingRedelivery: (() => Promise<number>) | undefined;

  readonly eventsAwaitingRedelivery = new Gauge({
    name: 'orders_events_awaiting_redelivery',
    help: 'Events the event log refused that wait in their order workflows for a redelivery (POST /admin/events/redeliver), over the whole service',
    registers: [this.registry],
    collect: async () => {
      if (!this.countAwaitingRedelivery) return;
      try {
        this.eventsAwaitingRedelivery.set(await this.countAwaitingRedelivery());
      } catch {
        // ClickHouse away: the scrape keeps the last figure rather than failing.
      }
    },
  });

  readonly projectionLag = new Histogram({
    name: 'orders_projection_lag_seconds',
    help: 'From an event being decided (its command answered) to its insert returning, when the read models show it',
    buckets: SECONDS,
    registers: [this.registry],
  });

  constructor(private readonly sdkMetricsUrl?: string) {
    collectDefaultMetrics({ register: this.registry, prefix: 'orders_process_' });
  }

  /** Reads the events awaiting redelivery from where they are recorded, at each scrape. */
  countRefusedEventsWith(count: () => Promise<number>): void {
    this.countAwaitingRedelivery = count;
  }

  /** The page `/metrics` serves: ours, then the Temporal SDK's when its exporter runs. */
  async render(): Promise<string> {
    let page = await this.registry.metrics();
    if (this.sdkMetricsUrl) {
      try {
        const response = await fetch(this.sdkMetricsUrl, { signal: AbortSignal.timeout(2000) });
        if (response.ok) page += `\n# Temporal SDK (worker) metrics\n${await response.text()}`;
      } catch {
        // The SDK exporter starts with the runtime; a scrape before that just lacks its part.
      }
    }
    return page;
  }
}
