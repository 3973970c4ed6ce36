/**
 * Configuration, read once from the environment at the process edge and passed down.
 * Nothing deeper reads `process.env`.
 */
import fs from 'node:fs';
import path from 'node:path';
import ms from 'ms';
import { ClientConfigProfile, loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/client';
import { ApiKeySpec, parseApiKeys } from './api/auth';

export interface Config {
  port: number;
  dataDir: string;
  /** From TEMPORAL_ADDRESS or the Temporal profile; unset: start the embedded Temporal dev server. */
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
  /** How to reach a Temporal server that is not the embedded dev server (TLS, an API key, gRPC headers). */
  temporalConnection: TemporalConnectionSettings;
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

/**
 * Temporal Cloud or a secured cluster, as Temporal's own clients read it (`@temporalio/envconfig`):
 * certificates are read once, at start-up.
 */
export interface TemporalConnectionSettings {
  tls?: TLSConfig | boolean;
  /** Sent as a bearer token; never logged. */
  apiKey?: string;
  /** gRPC headers from TEMPORAL_GRPC_META_* or the profile's grpc_meta. */
  metadata?: Record<string, string>;
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

/** The settings of Temporal's clients that name files: a missing one is named here, not found at connection time. */
const TEMPORAL_FILES = ['TEMPORAL_CONFIG_FILE', 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'];

interface TemporalSettings {
  address?: string;
  namespace: string;
  connection: TemporalConnectionSettings;
}

/**
 * The Temporal connection as every Temporal client reads it: the profile TEMPORAL_PROFILE names
 * (else `default`) of the config file (TEMPORAL_CONFIG_FILE, else the user's temporal.toml),
 * overridden by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS* and
 * TEMPORAL_GRPC_META_*. Without an address the embedded dev server runs, which speaks plain gRPC.
 */
function readTemporalSettings(env: Env, problems: string[]): TemporalSettings {
  const problemsBefore = problems.length;
  const flag = optional(env, 'TEMPORAL_TLS');
  if (flag && !['true', 'false', '1', '0'].includes(flag)) problems.push(`TEMPORAL_TLS=${JSON.stringify(flag)}: must be true or false`);
  for (const name of TEMPORAL_FILES) {
    const file = optional(env, name);
    if (file && !fs.existsSync(file)) problems.push(`${name}=${JSON.stringify(file)}: no such file`);
  }
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ overrideEnvVars: setOnly(env) });
  } catch (error) {
    problems.push(`TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE: ${error instanceof Error ? error.message : String(error)}`);
    return { namespace: 'default', connection: {} };
  }
  const address = profile.address?.trim() || undefined;
  if (address && !/^[^\s:/]+:\d+$/.test(address)) problems.push(`TEMPORAL_ADDRESS=${JSON.stringify(address)}: must be host:port`);
  const tlsFiles = profile.tls ?? {};
  if (Boolean(tlsFiles.clientCert) !== Boolean(tlsFiles.clientKey))
    problems.push('TEMPORAL_TLS_CLIENT_CERT_* and TEMPORAL_TLS_CLIENT_KEY_*: give both (mTLS) or neither');
  const secured = Boolean(profile.tls || profile.apiKey || profile.grpcMeta);
  if (secured && !address)
    problems.push('TEMPORAL_TLS*, TEMPORAL_API_KEY and TEMPORAL_GRPC_META_*: need TEMPORAL_ADDRESS (the embedded dev server speaks plain gRPC)');
  let connection: TemporalConnectionSettings = {};
  if (problems.length === problemsBefore) {
    try {
      const { tls, apiKey, metadata } = toClientOptions(profile).connectionOptions;
      connection = Object.fromEntries(Object.entries({ tls, apiKey, metadata }).filter(([, value]) => value !== undefined));
    } catch (error) {
      problems.push(`Temporal TLS settings: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { address, namespace: profile.namespace?.trim() || 'default', connection };
}

/** As everywhere in this configuration, a variable set to nothing counts as unset. */
function setOnly(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => Boolean(entry[1]?.trim())));
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
  const clickhouseCluster = optional(env, 'CLICKHOUSE_CLUSTER');
  if (clickhouseCluster && !/^[A-Za-z0-9_.-]+$/.test(clickhouseCluster)) {
    problems.push(`CLICKHOUSE_CLUSTER=${JSON.stringify(clickhouseCluster)}: must be a cluster name (letters, digits, _ . -)`);
  }
  if (clickhouseCluster && !clickhouseUrl) problems.push('CLICKHOUSE_CLUSTER: needs CLICKHOUSE_URL (the embedded ClickHouse is one node)');
  const temporalMetricsAddress = optional(env, 'TEMPORAL_METRICS_ADDRESS');
  if (temporalMetricsAddress && !/^[^\s:/]+:\d+$/.test(temporalMetricsAddress)) {
    problems.push(`TEMPORAL_METRICS_ADDRESS=${JSON.stringify(temporalMetricsAddress)}: must be host:port, e.g. 0.0.0.0:9465`);
  }
  const temporal = readTemporalSettings(env, problems);
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
    temporalAddress: temporal.address,
    temporalDevPort: readPort(env, 'TEMPORAL_DEV_PORT', 7233, problems),
    temporalUiPort: readPort(env, 'TEMPORAL_UI_PORT', 8233, problems),
    temporalUiUrl: readUrl(env, 'TEMPORAL_UI_URL', problems),
    temporalNamespace: temporal.namespace,
    temporalTaskQueue: optional(env, 'TEMPORAL_TASK_QUEUE') ?? 'orders',
    temporalCliPath: optional(env, 'TEMPORAL_CLI_PATH'),
    clickhouseUrl,
    clickhouseUser: optional(env, 'CLICKHOUSE_USER'),
    clickhousePassword: env.CLICKHOUSE_PASSWORD,
    clickhouseAnalystUser: optional(env, 'CLICKHOUSE_ANALYST_USER'),
    clickhouseAnalystPassword: env.CLICKHOUSE_ANALYST_PASSWORD,
    clickhouseDatabase: database,
    clickhouseCluster,
    temporalConnection: temporal.connection,
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
