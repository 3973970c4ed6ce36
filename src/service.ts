/**
 * Assembles the service from its parts for each way of running it: everything in one process (the
 * embedded default), or the API or the worker alone (scaled out). Each part registers its own stop
 * as it starts; the service stops them newest first (src/composition/).
 */
import type Koa from 'koa';
import type { WorkerOptions } from '@temporalio/worker';
import type { Config } from './config';
import type { Logger } from './logger';
import type { ClickHouse } from './clickhouse/client';
import type { AnswerLog } from './temporal/orderGateway';
import { Metrics } from './metrics';
import { lockDataDir } from './dataDirLock';
import { Stops } from './composition/stops';
import { startTemporal } from './composition/temporal';
import { openStorage } from './composition/storage';
import { startWorkerRole } from './composition/workerRole';
import { startApiRole } from './composition/apiRole';
import { serveMetricsPage } from './composition/metricsPage';

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

/**
 * Where tooling plugs into the service as it is assembled; `npm start` passes none. Tests pass a
 * workflow bundle built once and wrap ClickHouse to inject faults; the benchmark (bench/) plugs
 * its floor variants in here.
 */
export interface Seams {
  /** The workflow code the worker runs, instead of the bundle `npm run build` wrote. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Wraps the ClickHouse connections as they open. */
  clickhouse?: (ch: ClickHouse) => ClickHouse;
  /** Wraps where the API appends answered commands' events. */
  answerLog?: (answerLog: AnswerLog) => AnswerLog;
  /** Starts something of the tool's own beside the service, once it is up; what it returns stops it, first. */
  beside?: (service: { ch: ClickHouse; config: Config; log: Logger }) => Promise<() => Promise<void>>;
}

export interface StartOptions {
  /** Printed progress for a person at a terminal. */
  say?: (message: string) => void;
  /** Where to look for a `temporal` binary (the process's PATH). */
  pathVariable?: string;
  /** Server limits for the embedded dev server (tests lower the continue-as-new suggestion). */
  devServerDynamicConfig?: Record<string, string | number | boolean>;
  seams?: Seams;
}

export async function startService(config: Config, roles: Roles, log: Logger, options: StartOptions = {}): Promise<Service> {
  const say = options.say ?? ((message: string) => log.info(message));
  const seams = options.seams ?? {};
  const stops = new Stops(log);
  try {
    // The embedded dev server and chDB keep their data in one directory, for one process at a time.
    if (!config.temporalAddress || !config.clickhouseUrl) stops.push('the data directory lock', lockDataDir(config.dataDir));
    const temporal = await startTemporal(config, { say, pathVariable: options.pathVariable, dynamicConfig: options.devServerDynamicConfig }, stops);
    const metrics = metricsFor(config);
    const storage = await openStorage(config, { say, log, metrics, wrap: seams.clickhouse }, stops);
    const worker = roles.worker
      ? await startWorkerRole(config, temporal, storage, { say, log, metrics, workflowBundle: seams.workflowBundle }, stops)
      : undefined;
    const api = roles.api ? await startApiRole(config, temporal, storage, { log, metrics, worker, wrapAnswerLog: seams.answerLog }, stops) : undefined;
    if (config.metricsPort !== undefined) await serveMetricsPage(config.metricsPort, metrics, say, stops);
    if (seams.beside) stops.push('what runs beside the service', await seams.beside({ ch: storage.ch, config, log }));
    return {
      apiUrl: api?.url,
      app: api?.app,
      generatedApiKey: api?.generatedApiKey,
      temporalAddress: temporal.address,
      temporalUiUrl: temporal.uiUrl,
      ch: storage.ch,
      stop: () => stops.unwind(),
    };
  } catch (error) {
    await stops.unwind();
    throw error;
  }
}

/** This process's metrics, with the Temporal SDK's page appended when its exporter runs. */
function metricsFor(config: Config): Metrics {
  const sdkAddress = config.temporalMetricsAddress?.replace(/^0\.0\.0\.0:/, '127.0.0.1:');
  return new Metrics(sdkAddress ? `http://${sdkAddress}/metrics` : undefined);
}
