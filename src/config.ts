/**
 * Configuration, read once from the environment at the process edge and passed down.
 * Nothing deeper reads `process.env`.
 *
 * Every setting is declared once, in `SETTINGS`: its variable, how it is read, its default and
 * what it means. The README's configuration table lists the same variables (a unit test holds it
 * to that). The Temporal connection is read as Temporal's own clients read it
 * (`@temporalio/envconfig`); its variables are declared here for their checks and their place in
 * the table.
 */
import fs from 'node:fs';
import path from 'node:path';
import ms from 'ms';
import { z } from 'zod';
import { ClientConfigProfile, loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/client';
import { parseApiKeys } from './api/auth';

/** A value as the environment gives it, without the spaces around it (a variable set to nothing is unset: `setOnly`). */
const text = () => z.string().trim();

/** A value that must pass `isValid`; `must` says what it takes, after the variable and its value. */
const checked = (isValid: (raw: string) => boolean, must: string) => text().refine(isValid, { error: must });

const isWholeNumberIn = (raw: string, lowest: number, highest: number) => /^\d+$/.test(raw) && Number(raw) >= lowest && Number(raw) <= highest;

const wholeNumber = (what: string, lowest: number, highest: number) =>
  checked((raw) => isWholeNumberIn(raw, lowest, highest), `must be ${what} from ${lowest} to ${highest}`).transform(Number);

/** 0, which hands the choice to what is behind the setting (`zero` says what), or an integer within bounds. */
const zeroOrInteger = (lowest: number, highest: number, zero: string) =>
  checked(
    (raw) => isWholeNumberIn(raw, 0, 0) || isWholeNumberIn(raw, lowest, highest),
    `must be 0 (${zero}) or an integer from ${lowest} to ${highest}`,
  ).transform(Number);

const port = (lowest = 1) => wholeNumber('a port number', lowest, 65535);

const integer = (lowest: number, highest: number) => wholeNumber('an integer', lowest, highest);

const httpUrl = () => checked((raw) => URL.canParse(raw) && ['http:', 'https:'].includes(new URL(raw).protocol), 'must be an http:// or https:// URL');

const hostPort = (example = '') => checked((raw) => /^[^\s:/]+:\d+$/.test(raw), `must be host:port${example && `, e.g. ${example}`}`);

/** The bounds of a duration setting: under a second is a slip of the unit, over a year too. */
const DURATION_RANGE_MS = { lowest: 1000, highest: ms('365d') };

/** A duration as Temporal and `ms` write one (`90s`, `30m`, `24h`, `2 days`); a bare number is refused, its unit unknown. */
const duration = () =>
  text()
    .transform((raw) => (/[a-z]$/i.test(raw) ? ms(raw as ms.StringValue) : undefined))
    .refine((millis) => millis !== undefined && millis >= DURATION_RANGE_MS.lowest && millis <= DURATION_RANGE_MS.highest, {
      error: 'must be a duration from 1s to 365d with its unit, e.g. 30m, 24h or 2 days',
    })
    .transform((millis) => millis!);

const existingFile = () => checked((file) => fs.existsSync(file), 'no such file');

/** API keys, `secret[:role]`, comma-separated; the parser names each bad entry on a line of its own. */
const apiKeys = () =>
  text().transform((raw, context) => {
    const { keys, problems } = parseApiKeys(raw);
    for (const problem of problems) context.addIssue({ code: 'custom', message: problem, params: { wholeLine: true } });
    return keys;
  });

export const SETTINGS = z
  .object({
    PORT: port(0).default(3000).describe('HTTP port of the API (0: any free port)'),
    DATA_DIR: text().default('.data').describe('where the embedded Temporal and ClickHouse keep their data'),
    TEMPORAL_ADDRESS: text().optional().describe('a Temporal server (host:port); unset here and in the profile: the embedded dev server'),
    TEMPORAL_DEV_PORT: port().default(7233).describe('gRPC port of the embedded dev server'),
    TEMPORAL_UI_PORT: port().default(8233).describe('Web UI port of the embedded dev server'),
    TEMPORAL_UI_URL: httpUrl()
      .transform((url) => url.replace(/\/$/, ''))
      .optional()
      .describe('the Temporal Web UI the dashboard links each order to (the embedded one by default)'),
    TEMPORAL_NAMESPACE: text().optional().describe("Temporal namespace (the profile's, else default)"),
    TEMPORAL_PROFILE: text().optional().describe("the profile of Temporal's client config file (else default)"),
    TEMPORAL_CONFIG_FILE: existingFile().optional().describe("Temporal's client config file (else the user's temporal.toml)"),
    TEMPORAL_API_KEY: text().optional().describe('API key for Temporal Cloud (a bearer token; turns TLS on)'),
    TEMPORAL_TLS: z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' }).optional().describe('TLS to TEMPORAL_ADDRESS on or off'),
    TEMPORAL_TLS_CLIENT_CERT_PATH: existingFile().optional().describe('client certificate (PEM file) for mTLS'),
    TEMPORAL_TLS_CLIENT_CERT_DATA: text().optional().describe('client certificate (PEM) for mTLS'),
    TEMPORAL_TLS_CLIENT_KEY_PATH: existingFile().optional().describe('client key (PEM file) for mTLS'),
    TEMPORAL_TLS_CLIENT_KEY_DATA: text().optional().describe('client key (PEM) for mTLS'),
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: existingFile().optional().describe("a CA (PEM file) to trust instead of the system's"),
    TEMPORAL_TLS_SERVER_CA_CERT_DATA: text().optional().describe("a CA (PEM) to trust instead of the system's"),
    TEMPORAL_TLS_SERVER_NAME: text().optional().describe("the Temporal server's name to verify"),
    TEMPORAL_TASK_QUEUE: text().default('orders').describe('task queue of the order workflows'),
    TEMPORAL_CLI_PATH: text().optional().describe('a temporal binary to run the dev server with'),
    // `secret`: a problem names the variable without its value, which may carry a password.
    CLICKHOUSE_URL: httpUrl().optional().meta({ description: 'a ClickHouse server; unset: embedded chDB under DATA_DIR', secret: true }),
    CLICKHOUSE_USER: text().optional().describe('ClickHouse user'),
    // Passwords are taken as given, spaces included.
    CLICKHOUSE_PASSWORD: z.string().optional().describe('ClickHouse password'),
    CLICKHOUSE_ANALYST_USER: text().optional().describe('a read-only ClickHouse user for POST /analytics/sql'),
    CLICKHOUSE_ANALYST_PASSWORD: z.string().optional().describe('the read-only user’s password'),
    CLICKHOUSE_DATABASE: checked((name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name), 'must be a plain identifier (letters, digits, _)')
      .default('orders')
      .describe('database of every table'),
    CLICKHOUSE_CLUSTER: checked((name) => /^[A-Za-z0-9_.-]+$/.test(name), 'must be a cluster name (letters, digits, _ . -)')
      .optional()
      .describe('a ClickHouse cluster: the schema is created ON CLUSTER with Replicated engines'),
    API_KEYS: apiKeys().optional().describe('API keys, secret[:read|write|admin], comma-separated; unset: a generated admin key (embedded only)'),
    RATE_LIMIT_RPS: integer(0, 1_000_000).default(50).describe('requests per second per read or write key; 0 for none'),
    RATE_LIMIT_ADMIN_RPS: integer(0, 1_000_000).default(0).describe('requests per second per admin key; 0 for none'),
    AUTH_FAILURES_PER_MINUTE: integer(0, 1_000_000).default(30).describe('failed authentications per minute per client address; 0 for none'),
    EVENT_LOG_BATCH_INTERVAL_MS: integer(0, 10_000).default(250).describe('the least time between two inserts into the event log'),
    WORKER_ACTIVITY_SLOTS: integer(1, 10_000).default(2000).describe('deliveries a worker runs at once'),
    PENDING_ORDER_TIMEOUT: duration().optional().describe('how long an order may stay PENDING before its workflow cancels it; unset: for ever'),
    HEAP_GROWTH_PERCENT: zeroOrInteger(10, 300, "V8's own choice")
      .default(50)
      .describe("how far each JavaScript heap of the process may grow past what its last full collection kept, in percent; 0: V8's own choice"),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error'], { error: 'must be one of debug, info, warn, error' }).default('info').describe('log level'),
    METRICS_PORT: port().optional().describe('a /metrics page on this port, for a process without the API'),
    TEMPORAL_METRICS_ADDRESS: hostPort('0.0.0.0:9465').optional().describe("host:port of the Temporal SDK's Prometheus exporter"),
  })
  // `when`: checked even when other settings are bad, so that every problem shows at once.
  .refine((settings) => !settings.CLICKHOUSE_CLUSTER || settings.CLICKHOUSE_URL, {
    error: 'needs CLICKHOUSE_URL (the embedded ClickHouse is one node)',
    path: ['CLICKHOUSE_CLUSTER'],
    params: { aboutOthers: true },
    when: () => true,
  });

type Settings = z.output<typeof SETTINGS>;

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

interface TemporalSettings {
  /** Unset: start the embedded Temporal dev server. */
  address?: string;
  namespace: string;
  connection: TemporalConnectionSettings;
}

/** The settings as the code reads them; what each means is in `SETTINGS`. */
function toConfig(settings: Settings, temporal: TemporalSettings, cwd: string) {
  return {
    port: settings.PORT,
    dataDir: path.resolve(cwd, settings.DATA_DIR),
    temporalAddress: temporal.address,
    temporalDevPort: settings.TEMPORAL_DEV_PORT,
    temporalUiPort: settings.TEMPORAL_UI_PORT,
    temporalUiUrl: settings.TEMPORAL_UI_URL,
    temporalNamespace: temporal.namespace,
    temporalTaskQueue: settings.TEMPORAL_TASK_QUEUE,
    temporalCliPath: settings.TEMPORAL_CLI_PATH,
    temporalConnection: temporal.connection,
    clickhouseUrl: settings.CLICKHOUSE_URL,
    clickhouseUser: settings.CLICKHOUSE_USER,
    clickhousePassword: settings.CLICKHOUSE_PASSWORD,
    clickhouseAnalystUser: settings.CLICKHOUSE_ANALYST_USER,
    clickhouseAnalystPassword: settings.CLICKHOUSE_ANALYST_PASSWORD,
    clickhouseDatabase: settings.CLICKHOUSE_DATABASE,
    clickhouseCluster: settings.CLICKHOUSE_CLUSTER,
    heapGrowthPercent: settings.HEAP_GROWTH_PERCENT,
    logLevel: settings.LOG_LEVEL,
    metricsPort: settings.METRICS_PORT,
    temporalMetricsAddress: settings.TEMPORAL_METRICS_ADDRESS,
    apiKeys: settings.API_KEYS,
    rateLimitRps: settings.RATE_LIMIT_RPS,
    adminRateLimitRps: settings.RATE_LIMIT_ADMIN_RPS,
    authFailuresPerMinute: settings.AUTH_FAILURES_PER_MINUTE,
    eventLogBatchIntervalMs: settings.EVENT_LOG_BATCH_INTERVAL_MS,
    workerActivitySlots: settings.WORKER_ACTIVITY_SLOTS,
    /** Fixed in each order as it starts. */
    pendingOrderTimeoutMs: settings.PENDING_ORDER_TIMEOUT,
  };
}

export type Config = ReturnType<typeof toConfig>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** As everywhere in this configuration, a variable set to nothing counts as unset. */
function setOnly(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => Boolean(entry[1]?.trim())));
}

/** One line per problem: the variable, its value unless it is secret, and what it takes. */
function describeProblem(issue: z.core.$ZodIssue, env: Record<string, string>): string {
  const params = issue.code === 'custom' ? (issue.params ?? {}) : {};
  if (params.wholeLine) return issue.message;
  const name = String(issue.path[0]);
  const secret = SETTINGS.shape[name as keyof Settings].meta()?.secret === true;
  return params.aboutOthers || secret ? `${name}: ${issue.message}` : `${name}=${JSON.stringify(env[name].trim())}: ${issue.message}`;
}

/**
 * The Temporal connection as every Temporal client reads it: the profile TEMPORAL_PROFILE names
 * (else `default`) of the config file (TEMPORAL_CONFIG_FILE, else the user's temporal.toml),
 * overridden by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS* and
 * TEMPORAL_GRPC_META_*. Without an address the embedded dev server runs, which speaks plain gRPC.
 * The connection is built only when nothing else is wrong: a file named by a bad setting is not read.
 */
function readTemporalSettings(env: Record<string, string>, problems: string[]): TemporalSettings {
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ overrideEnvVars: env });
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
  const namespace = profile.namespace?.trim() || 'default';
  if (problems.length > 0) return { address, namespace, connection: {} };
  try {
    const { tls, apiKey, metadata } = toClientOptions(profile).connectionOptions;
    const connection = Object.fromEntries(Object.entries({ tls, apiKey, metadata }).filter(([, value]) => value !== undefined));
    return { address, namespace, connection };
  } catch (error) {
    problems.push(`Temporal TLS settings: ${error instanceof Error ? error.message : String(error)}`);
    return { address, namespace, connection: {} };
  }
}

/** Reads and checks the environment; every bad value is reported, one line each. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const given = setOnly(env);
  const parsed = SETTINGS.safeParse(given);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => describeProblem(issue, given));
  const temporal = readTemporalSettings(given, problems);
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  return toConfig(parsed.data, temporal, cwd);
}
