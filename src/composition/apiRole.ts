/**
 * The API role: the Koa app over HTTP, sending commands to order workflows through the gateway
 * (which appends their events to the log before answering) and reading ClickHouse's read models.
 */
import http from 'node:http';
import type Koa from 'koa';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { createApp } from '../api/app';
import { answerClientError } from '../api/problem';
import { eventLogFields } from '../clickhouse/eventLog';
import { clickHouseReadModels } from '../clickhouse/readModels';
import { rebuildProjections } from '../clickhouse/rebuild';
import { AnswerLog, OrderGateway } from '../temporal/orderGateway';
import { redeliverRefusedEvents } from '../temporal/redelivery';
import type { RunningWorker } from '../temporal/worker';
import { ensureGeneratedApiKey } from '../apiKeyFile';
import { serve } from './http';
import { readinessOf } from './readiness';
import type { Storage } from './storage';
import type { Stops } from './stops';
import { connectClient, Temporal } from './temporal';

/**
 * How long a command's answer waits for its events to be appended. Past it (ClickHouse slow or
 * away) the command is answered anyway: it is in Temporal, and its workflow delivers the events.
 */
const APPEND_WAIT_MS = 2000;
/** How long a stop waits for the receipts it sends: they save deliveries, and are not needed. */
const RECEIPTS_AT_STOP_MS = 2000;

export interface Api {
  url: string;
  app: Koa;
  /** The admin key generated into the data directory, when API_KEYS was not set. */
  generatedApiKey?: { key: string; created: boolean };
}

export interface ApiRoleOptions {
  log: Logger;
  metrics: Metrics;
  /** This process's worker, when it runs one: its state is part of readiness. */
  worker?: RunningWorker;
  /** Wraps where answered commands' events go (the benchmark's floor replaces it). */
  wrapAnswerLog?: (answerLog: AnswerLog) => AnswerLog;
}

export async function startApiRole(config: Config, temporal: Temporal, storage: Storage, options: ApiRoleOptions, stops: Stops): Promise<Api> {
  const { log, metrics } = options;
  const generatedApiKey = config.apiKeys ? undefined : ensureGeneratedApiKey(config.dataDir);
  const { client, cluster } = await connectClient(temporal, log, stops);
  const answerLog = answerLogOf(storage, log, metrics);
  const gateway = new OrderGateway(client, {
    taskQueue: config.temporalTaskQueue,
    paymentWindowMs: config.pendingOrderTimeoutMs,
    answerLog: options.wrapAnswerLog ? options.wrapAnswerLog(answerLog) : answerLog,
    onReceiptLost: (orderId, error) => {
      metrics.receiptsLost.inc();
      log.warn({ orderId, err: error }, 'receipt not sent; its workflow will deliver the events itself');
    },
  });
  stops.push('the append receipts', () => gateway.close(RECEIPTS_AT_STOP_MS));
  const app = createApp({
    gateway,
    readModels: clickHouseReadModels(storage.ch),
    log,
    metrics,
    readiness: readinessOf(client, cluster, storage.ch, options.worker),
    // These must run where the embedded database is open: in this process.
    admin: {
      rebuild: (onProgress) => rebuildProjections(storage.ch, onProgress),
      redeliver: () => redeliverRefusedEvents(storage.ch, gateway),
    },
    dashboard: {
      temporalUiUrl: config.temporalUiUrl ?? (temporal.uiUrl ? `http://localhost:${config.temporalUiPort}` : undefined),
      namespace: config.temporalNamespace,
    },
    auth: {
      keys: config.apiKeys ?? [{ secret: generatedApiKey!.key, role: 'admin' }],
      rateLimitRps: config.rateLimitRps,
      adminRateLimitRps: config.adminRateLimitRps,
      authFailuresPerMinute: config.authFailuresPerMinute,
    },
  });
  const server = http.createServer(app.callback());
  server.keepAliveTimeout = 65_000;
  server.on('clientError', answerClientError);
  const port = await serve(server, config.port, 'the HTTP server', stops);
  return { url: `http://127.0.0.1:${port}`, app, generatedApiKey };
}

/** The event log as the gateway appends answered commands' events: bounded in time, never throwing. */
function answerLogOf({ eventLog }: Storage, log: Logger, metrics: Metrics): AnswerLog {
  return {
    announce: () => eventLog.announce(),
    append: async (events) => {
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
  };
}
