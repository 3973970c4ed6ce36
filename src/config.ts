/**
 * Configuration, read once from the environment at the process edge and passed down.
 * Nothing deeper reads `process.env`.
 */
import fs from 'node:fs';
import path from 'node:path';
import ms from 'ms';
import { ApiKeySpec, parseApiKeys } from './api/auth';

export interface Config {
  port: number;
  dataDir: string;
  /** Unset: start the embedded Temporal dev server. */
  temporalAddress?: string;
  temporalDevPort: number;
  temporalUiPort: number;
  /** TEMPORAL_UI_URL: the Temporal Web UI the dashboard links orders to (the embedded one by default). */
  temporalUiUrl?: string;
  temporalNamespace: string;
  temporalTaskQueue: string;
  temporalCliPath?: string;
  /** Unset: embedded chDB under `dataDir`. */
  clickhouseUrl?: string;
  clickhouseUser?: string;
  clickhousePassword?: string;
  /** CLICKHOUSE_ANALYST_USER: a read-only user of the server for `POST /analytics/sql` (docs/analytics.md). */
  clickhouseAnalystUser?: string;
  clickhouseAnalystPassword?: string;
  clickhouseDatabase: string;
  /** CLICKHOUSE_CLUSTER: create the schema ON CLUSTER with Replicated engines. */
  clickhouseCluster?: string;
  /** How to reach a Temporal server that is not the embedded dev server (TLS, an API key). */
  temporalSecurity: TemporalSecurity;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** METRICS_PORT: a /metrics endpoint of its own, for a process without the API (a worker alone). */
  metricsPort?: number;
  /** TEMPORAL_METRICS_ADDRESS: where the Temporal SDK's Prometheus exporter listens (host:port). */
  temporalMetricsAddress?: string;
  /** From API_KEYS; unset: the embedded default generates one admin key into the data dir. */
  apiKeys?: ApiKeySpec[];
  /** Requests per second per read or write key (RATE_LIMIT_RPS); 0 is no limit. */
  rateLimitRps: number;
  /** Requests per second per admin key (RATE_LIMIT_ADMIN_RPS); 0, the default, is no limit. */
  adminRateLimitRps: number;
  /** Failed authentications per minute per client address (AUTH_FAILURES_PER_MINUTE); 0 is no limit. */
  authFailuresPerMinute: number;
  /** EVENT_LOG_BATCH_INTERVAL_MS: the least time between two inserts into the event log. */
  eventLogBatchIntervalMs: number;
  /**
   * WORKER_ACTIVITY_SLOTS: deliveries a worker runs at once. Each only waits for the shared event
   * log writer, so many cost little, and together they fill the large inserts ClickHouse prefers.
   */
  workerActivitySlots: number;
  /**
   * PENDING_ORDER_TIMEOUT: how long an order may stay PENDING before its own workflow cancels it
   * (the payment window). Unset: orders wait for ever. Fixed in each order as it starts.
   */
  pendingOrderTimeoutMs?: number;
}

/** Temporal Cloud or a self-hosted cluster with TLS: files are read at connection time. */
export interface TemporalSecurity {
  tls: boolean;
  /** Client certificate and key (mTLS), as PEM file paths. */
  clientCertPath?: string;
  clientKeyPath?: string;
  /** A CA to trust instead of the system's, as a PEM file path. */
  serverCaPath?: string;
  serverName?: string;
  /** TEMPORAL_API_KEY: sent as a bearer token; never logged. */
  apiKey?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function readPort(env: Env, name: string, fallback: number, problems: string[], lowest = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < lowest || port > 65535) {
    problems.push(`${name}=${JSON.stringify(raw)}: must be a port number from ${lowest} to 65535`);
    return fallback;
  }
  return port;
}

function readInteger(env: Env, name: string, fallback: number, lowest: number, highest: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < lowest || Number(raw) > highest) {
    problems.push(`${name}=${JSON.stringify(raw)}: must be an integer from ${lowest} to ${highest}`);
    return fallback;
  }
  return Number(raw);
}

/** The bounds of a duration setting: under a second is a slip of the unit, over a year too. */
const DURATION_RANGE_MS = { lowest: 1000, highest: ms('365d') };

/** A duration as Temporal and `ms` write one (`90s`, `30m`, `24h`, `2 days`); a bare number is refused, its unit unknown. */
function readDuration(env: Env, name: string, problems: string[]): number | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  const millis = /[a-z]$/i.test(raw) ? ms(raw as ms.StringValue) : undefined;
  if (millis === undefined || !(millis >= DURATION_RANGE_MS.lowest && millis <= DURATION_RANGE_MS.highest)) {
    problems.push(`${name}=${JSON.stringify(raw)}: must be a duration from 1s to 365d with its unit, e.g. 30m, 24h or 2 days`);
    return undefined;
  }
  return millis;
}

function readUrl(env: Env, name: string, problems: string[]): string | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
    return raw.replace(/\/$/, '');
  } catch {
    problems.push(`${name}=${JSON.stringify(raw)}: must be an http:// or https:// URL`);
    return undefined;
  }
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function readTemporalSecurity(env: Env, external: boolean, problems: string[]): TemporalSecurity {
  const flag = optional(env, 'TEMPORAL_TLS');
  if (flag && !['true', 'false', '1', '0'].includes(flag)) problems.push(`TEMPORAL_TLS=${JSON.stringify(flag)}: must be true or false`);
  const files: Record<string, string | undefined> = {
    TEMPORAL_TLS_CERT: optional(env, 'TEMPORAL_TLS_CERT'),
    TEMPORAL_TLS_KEY: optional(env, 'TEMPORAL_TLS_KEY'),
    TEMPORAL_TLS_CA: optional(env, 'TEMPORAL_TLS_CA'),
  };
  for (const [name, file] of Object.entries(files)) {
    if (file && !fs.existsSync(file)) problems.push(`${name}=${JSON.stringify(file)}: no such file`);
  }
  if (Boolean(files.TEMPORAL_TLS_CERT) !== Boolean(files.TEMPORAL_TLS_KEY))
    problems.push('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY: give both (mTLS) or neither');
  const apiKey = optional(env, 'TEMPORAL_API_KEY');
  const serverName = optional(env, 'TEMPORAL_TLS_SERVER_NAME');
  const anyGiven = Boolean(flag || apiKey || serverName || Object.values(files).some(Boolean));
  if (anyGiven && !external)
    problems.push('TEMPORAL_TLS, TEMPORAL_TLS_* and TEMPORAL_API_KEY: need TEMPORAL_ADDRESS (the embedded dev server speaks plain gRPC)');
  // An API key (Temporal Cloud) or any certificate means TLS, unless TEMPORAL_TLS says otherwise.
  const tls = flag ? flag === 'true' || flag === '1' : Boolean(apiKey || serverName || Object.values(files).some(Boolean));
  return {
    tls,
    clientCertPath: files.TEMPORAL_TLS_CERT,
    clientKeyPath: files.TEMPORAL_TLS_KEY,
    serverCaPath: files.TEMPORAL_TLS_CA,
    serverName,
    apiKey,
  };
}

/** Reads and checks the environment; every bad value is reported, one line each. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const database = optional(env, 'CLICKHOUSE_DATABASE') ?? 'orders';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    problems.push(`CLICKHOUSE_DATABASE=${JSON.stringify(database)}: must be a plain identifier (letters, digits, _)`);
  }
  const clickhouseUrl = optional(env, 'CLICKHOUSE_URL');
  if (clickhouseUrl) {
    try {
      const url = new URL(clickhouseUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
    } catch {
      problems.push(`CLICKHOUSE_URL: must be an http:// or https:// URL`);
    }
  }
  const temporalAddress = optional(env, 'TEMPORAL_ADDRESS');
  if (temporalAddress && !/^[^\s:/]+:\d+$/.test(temporalAddress)) {
    problems.push(`TEMPORAL_ADDRESS=${JSON.stringify(temporalAddress)}: must be host:port`);
  }
  const clickhouseCluster = optional(env, 'CLICKHOUSE_CLUSTER');
  if (clickhouseCluster && !/^[A-Za-z0-9_.-]+$/.test(clickhouseCluster)) {
    problems.push(`CLICKHOUSE_CLUSTER=${JSON.stringify(clickhouseCluster)}: must be a cluster name (letters, digits, _ . -)`);
  }
  if (clickhouseCluster && !clickhouseUrl) problems.push('CLICKHOUSE_CLUSTER: needs CLICKHOUSE_URL (the embedded ClickHouse is one node)');
  const temporalMetricsAddress = optional(env, 'TEMPORAL_METRICS_ADDRESS');
  if (temporalMetricsAddress && !/^[^\s:/]+:\d+$/.test(temporalMetricsAddress)) {
    problems.push(`TEMPORAL_METRICS_ADDRESS=${JSON.stringify(temporalMetricsAddress)}: must be host:port, e.g. 0.0.0.0:9465`);
  }
  const temporalSecurity = readTemporalSecurity(env, Boolean(temporalAddress), problems);
  let apiKeys: ApiKeySpec[] | undefined;
  if (optional(env, 'API_KEYS')) {
    const parsed = parseApiKeys(env.API_KEYS!);
    problems.push(...parsed.problems);
    apiKeys = parsed.keys;
  }
  const logLevel = (optional(env, 'LOG_LEVEL') ?? 'info') as Config['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    problems.push(`LOG_LEVEL=${JSON.stringify(logLevel)}: must be one of debug, info, warn, error`);
  }
  const config: Config = {
    // 0 lets the system choose a free port (tests run several services side by side).
    port: readPort(env, 'PORT', 3000, problems, 0),
    dataDir: path.resolve(cwd, optional(env, 'DATA_DIR') ?? '.data'),
    temporalAddress,
    temporalDevPort: readPort(env, 'TEMPORAL_DEV_PORT', 7233, problems),
    temporalUiPort: readPort(env, 'TEMPORAL_UI_PORT', 8233, problems),
    temporalUiUrl: readUrl(env, 'TEMPORAL_UI_URL', problems),
    temporalNamespace: optional(env, 'TEMPORAL_NAMESPACE') ?? 'default',
    temporalTaskQueue: optional(env, 'TEMPORAL_TASK_QUEUE') ?? 'orders',
    temporalCliPath: optional(env, 'TEMPORAL_CLI_PATH'),
    clickhouseUrl,
    clickhouseUser: optional(env, 'CLICKHOUSE_USER'),
    clickhousePassword: env.CLICKHOUSE_PASSWORD,
    clickhouseAnalystUser: optional(env, 'CLICKHOUSE_ANALYST_USER'),
    clickhouseAnalystPassword: env.CLICKHOUSE_ANALYST_PASSWORD,
    clickhouseDatabase: database,
    clickhouseCluster,
    temporalSecurity,
    logLevel,
    metricsPort: optional(env, 'METRICS_PORT') ? readPort(env, 'METRICS_PORT', 0, problems) : undefined,
    temporalMetricsAddress,
    apiKeys,
    rateLimitRps: readInteger(env, 'RATE_LIMIT_RPS', 50, 0, 1_000_000, problems),
    adminRateLimitRps: readInteger(env, 'RATE_LIMIT_ADMIN_RPS', 0, 0, 1_000_000, problems),
    authFailuresPerMinute: readInteger(env, 'AUTH_FAILURES_PER_MINUTE', 30, 0, 1_000_000, problems),
    eventLogBatchIntervalMs: readInteger(env, 'EVENT_LOG_BATCH_INTERVAL_MS', 250, 0, 10_000, problems),
    workerActivitySlots: readInteger(env, 'WORKER_ACTIVITY_SLOTS', 2000, 1, 10_000, problems),
    pendingOrderTimeoutMs: readDuration(env, 'PENDING_ORDER_TIMEOUT', problems),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
