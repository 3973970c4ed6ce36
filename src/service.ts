/**
 * Assembles the service from its parts for each way of running it: everything in one process
 * (the embedded default), or the API and the worker alone (scaled out). Whatever it starts, it
 * stops in reverse order.
 */
import http from 'node:http';
import path from 'node:path';
import type Koa from 'koa';
import { Client, Connection, defaultGrpcRetryOptions, GrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { WorkerOptions } from '@temporalio/worker';
import type { Config } from './config';
import type { Logger } from './logger';
import { createApp } from './api/app';
import type { Readiness } from './api/ports';
import { answerClientError } from './api/problem';
import { ClickHouse, openClickHouse } from './clickhouse/client';
import { eventLogFields, EventLogWriter, eventsFullyIn, EventRow, fromClickHouseTime, insertEventRows } from './clickhouse/eventLog';
import { pingClickHouse } from './clickhouse/orderQueries';
import { clickHouseReadModels } from './clickhouse/readModels';
import { rebuildProjections } from './clickhouse/rebuild';
import { applySchema, schemaIsCurrent } from './clickhouse/schema';
import { DevServer, startDevServer } from './temporal/devServer';
import { OrderGateway } from './temporal/orderGateway';
import { temporalConnectionOptions } from './temporal/connectionOptions';
import { locateTemporalBinary } from './temporal/temporalBinary';
import { builtBundlePath, builtWorkflowBundle, RunningWorker, startOrderWorker, workflowsPath } from './temporal/worker';
import { projectRoot, toolsDir } from './paths';
import { Metrics } from './metrics';
import { lockDataDir } from './dataDirLock';
import { ensureGeneratedApiKey } from './apiKeyFile';

/**
 * How long a command's answer waits for its events to be appended. Past it (ClickHouse slow or
 * away) the command is answered anyway: it is in Temporal, and its workflow delivers the events.
 */
const APPEND_WAIT_MS = 2000;

export interface Roles {
  api: boolean;
  worker: boolean;
}

export interface Service {
  apiUrl?: string;
  /** The Koa app behind apiUrl (when this process runs the API). */
  app?: Koa;
  /** The admin key this process generated into the data directory, when API_KEYS was not set. */
  generatedApiKey?: { key: string; created: boolean };
  temporalAddress: string;
  temporalUiUrl?: string;
  ch: ClickHouse;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Printed progress for a person at a terminal. */
  say?: (message: string) => void;
  /** Tests pass a workflow bundle built once, instead of bundling at every start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Tests lower server limits (the continue-as-new suggestion) with dynamic config. */
  devServerDynamicConfig?: Record<string, string | number | boolean>;
  pathVariable?: string;
  /**
   * Fault injection for the reliability tests: no configuration or request can reach it. While
   * `failClickHouseWrites()` answers true, every insert into the event log fails as an unreachable
   * ClickHouse would make it.
   */
  faults?: { failClickHouseWrites?: () => boolean };
}

/** Stops what was started so far, newest first, even when one of the steps fails. */
class Stack {
  private readonly steps: Array<{ name: string; stop: () => Promise<void> }> = [];

  push(name: string, stop: () => Promise<void>): void {
    this.steps.push({ name, stop });
  }

  async unwind(log: Logger): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.stop();
      } catch (error) {
        log.error({ err: error }, `stopping ${step.name} failed`);
      }
    }
  }
}

export async function startService(config: Config, roles: Roles, log: Logger, options: StartOptions = {}): Promise<Service> {
  const say = options.say ?? ((message: string) => log.info(message));
  const stack = new Stack();
  try {
    if (!config.temporalAddress || !config.clickhouseUrl) {
      const release = lockDataDir(config.dataDir);
      stack.push('the data directory lock', async () => release());
    }
    let temporalAddress = config.temporalAddress;
    let devServer: DevServer | undefined;
    if (!temporalAddress) {
      const binary = locateTemporalBinary({
        cliPath: config.temporalCliPath,
        pathVariable: options.pathVariable,
        toolsDir: toolsDir(),
        say,
      });
      devServer = await startDevServer({
        binary,
        dataDir: config.dataDir,
        port: config.temporalDevPort,
        uiPort: config.temporalUiPort,
        namespace: config.temporalNamespace,
        dynamicConfig: options.devServerDynamicConfig,
        say,
      });
      stack.push('the Temporal dev server', () => devServer!.stop());
      temporalAddress = devServer.address;
    }

    const metrics = new Metrics(
      config.temporalMetricsAddress ? `http://${config.temporalMetricsAddress.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}/metrics` : undefined,
    );

    say(config.clickhouseUrl ? `connecting to ClickHouse at ${redactUrl(config.clickhouseUrl)}` : `opening the embedded ClickHouse under ${config.dataDir}`);
    const ch = await openClickHouse(config);
    stack.push('ClickHouse', () => ch.close());
    await applySchema(ch, say);

    // One writer per process: the API appends the events of the commands it answers, the worker
    // delivers what the API could not; in one process they share its batches.
    const failWrites = options.faults?.failClickHouseWrites;
    const write = (rows: EventRow[]) => (failWrites?.() ? Promise.reject(new Error('injected fault: ClickHouse refuses writes')) : insertEventRows(ch, rows));
    // The API's commands awaiting their workflows' answers: the writer waits for their events.
    let gateway: OrderGateway | undefined;
    const eventLog = new EventLogWriter(write, (rows) => eventsFullyIn(ch, rows), {
      minIntervalMs: config.eventLogBatchIntervalMs,
      expected: () => gateway?.commandsInFlight ?? 0,
      onBatch: (rows, millis, error) => {
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
      },
    });
    stack.push('the event log writer', () => eventLog.close());

    let worker: RunningWorker | undefined;
    if (roles.worker) {
      const workflowBundle = options.workflowBundle ?? builtWorkflowBundle();
      if (!workflowBundle && workflowsPath().endsWith('.js'))
        log.warn(
          `no current ${path.relative(projectRoot(), builtBundlePath())} (npm run build writes it): bundling the workflows now, which takes seconds and memory`,
        );
      say(`starting the order worker on task queue ${config.temporalTaskQueue}`);
      worker = await startOrderWorker({
        connection: temporalConnectionOptions(temporalAddress, devServer ? undefined : config.temporalSecurity),
        namespace: config.temporalNamespace,
        taskQueue: config.temporalTaskQueue,
        eventLog,
        metrics,
        activitySlots: config.workerActivitySlots,
        logsInfo: log.isLevelEnabled('info'),
        workflowBundle,
      });
      stack.push('the worker', () => worker!.stop());
      worker.done.catch((error: unknown) => log.error({ err: error }, 'the worker stopped with an error'));
    }

    let apiUrl: string | undefined;
    let koaApp: Koa | undefined;
    let generatedApiKey: { key: string; created: boolean } | undefined;
    if (roles.api) {
      let apiKeys = config.apiKeys;
      if (!apiKeys) {
        generatedApiKey = ensureGeneratedApiKey(config.dataDir);
        apiKeys = [{ secret: generatedApiKey.key, role: 'admin' }];
      }
      const connection = await Connection.connect({
        ...temporalConnectionOptions(temporalAddress, devServer ? undefined : config.temporalSecurity),
        interceptors: [makeGrpcRetryInterceptor(temporalRetries())],
      });
      stack.push('the Temporal client', () => connection.close());
      const client = new Client({ connection, namespace: config.temporalNamespace });
      gateway = new OrderGateway(client, {
        taskQueue: config.temporalTaskQueue,
        onAnswered: () => eventLog.recheck(),
        appendEvents: async (events) => {
          const appended = await eventLog.appendWithin(events, APPEND_WAIT_MS);
          const ids = eventLogFields(events);
          if (appended.outcome === 'appended') {
            log.info({ ...ids, written: appended.written }, 'events appended');
            return true;
          }
          // The command stands (Temporal holds it); its workflow delivers the events a little later.
          metrics.appendsDeferred.inc();
          log.warn({ ...ids, err: appended.error }, 'events not appended in time; their workflow will deliver them');
          return false;
        },
        onReceiptLost: (orderId, error) => {
          metrics.receiptsLost.inc();
          log.warn({ orderId, err: error }, 'receipt for a finished order not sent; its workflow will deliver its last events');
        },
      });
      let schemaChecked = false;
      const readiness = async (): Promise<Readiness> => {
        const checks: Record<string, string> = {};
        await Promise.all([
          client
            .withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}))
            .then(() => (checks.temporal = 'ok'))
            .catch((error: Error) => (checks.temporal = `unreachable: ${error.message}`)),
          (async () => {
            await pingClickHouse(ch);
            schemaChecked ||= await schemaIsCurrent(ch);
            checks.clickhouse = schemaChecked ? 'ok' : 'schema not applied';
          })().catch((error: Error) => (checks.clickhouse = `unreachable: ${error.message}`)),
        ]);
        if (roles.worker) checks.worker = worker?.worker.getState() === 'RUNNING' ? 'ok' : `worker ${worker?.worker.getState()}`;
        return { ready: Object.values(checks).every((check) => check === 'ok'), checks };
      };
      const app = createApp({
        gateway,
        readModels: clickHouseReadModels(ch),
        log,
        readiness,
        // The rebuild must run where the embedded database is open: in this process.
        rebuild: (onProgress) => rebuildProjections(ch, onProgress),
        ...(config.enableBenchRoutes ? { bench: { ch, log, deliverySlots: config.workerActivitySlots } } : {}),
        metrics,
        dashboard: {
          temporalUiUrl: config.temporalUiUrl ?? (devServer?.uiUrl ? `http://localhost:${config.temporalUiPort}` : undefined),
          namespace: config.temporalNamespace,
        },
        auth: {
          keys: apiKeys,
          rateLimitRps: config.rateLimitRps,
          adminRateLimitRps: config.adminRateLimitRps,
          authFailuresPerMinute: config.authFailuresPerMinute,
        },
      });
      koaApp = app;
      const server = http.createServer(app.callback());
      server.keepAliveTimeout = 65_000;
      server.on('clientError', answerClientError);
      const port = await listen(server, config.port);
      apiUrl = `http://127.0.0.1:${port}`;
      stack.push('the HTTP server', () => closeServer(server));
    }

    if (config.metricsPort !== undefined) {
      // A process without the API (a worker alone) still needs a page for Prometheus to scrape.
      const server = http.createServer((request, response) => {
        if (request.url !== '/metrics') {
          response.writeHead(404).end();
          return;
        }
        metrics.render().then(
          (page) => response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(page),
          () => response.writeHead(500).end(),
        );
      });
      await listen(server, config.metricsPort);
      say(`metrics at http://localhost:${config.metricsPort}/metrics`);
      stack.push('the metrics server', () => closeServer(server));
    }

    return {
      apiUrl,
      app: koaApp,
      generatedApiKey,
      temporalAddress,
      temporalUiUrl: devServer?.uiUrl,
      ch,
      stop: () => stack.unwind(log),
    };
  } catch (error) {
    await stack.unwind(log);
    throw error;
  }
}

/**
 * The SDK's retries, except that an unreachable server is given up on after three quick tries:
 * while Temporal is away a command should answer 503 within about a second, not hang for the
 * default ten attempts up to five seconds apart. A busy server (RESOURCE_EXHAUSTED, such as too
 * many updates in flight on one order) keeps the default patient backoff.
 */
function temporalRetries(): GrpcRetryOptions {
  const defaults = defaultGrpcRetryOptions();
  return {
    delayFunction: (attempt, status) =>
      status.code === GrpcStatus.UNAVAILABLE ? Math.min(300, defaults.delayFunction(attempt, status)) : defaults.delayFunction(attempt, status),
    retryableDecider: (attempt, status) => (status.code === GrpcStatus.UNAVAILABLE ? attempt < 4 : defaults.retryableDecider(attempt, status)),
  };
}

/** Listens on every interface; resolves with the port (the system's choice for 0). */
function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Stops accepting connections, lets in-flight requests finish (bounded), then closes idle ones. */
function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), 10_000);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
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
