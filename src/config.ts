/**
 * Configuration, read once from the environment at the process edge and passed down.
 * Nothing deeper reads `process.env`.
 */
import path from 'node:path';
import { ApiKeySpec, parseApiKeys } from './api/auth';

export interface Config {
  port: number;
  dataDir: string;
  /** Unset: start the embedded Temporal dev server. */
  temporalAddress?: string;
  temporalDevPort: number;
  temporalUiPort: number;
  temporalNamespace: string;
  temporalTaskQueue: string;
  temporalCliPath?: string;
  /** Unset: embedded chDB under `dataDir`. */
  clickhouseUrl?: string;
  clickhouseUser?: string;
  clickhousePassword?: string;
  clickhouseDatabase: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** From API_KEYS; unset: the embedded default generates one admin key into the data dir. */
  apiKeys?: ApiKeySpec[];
  /** Requests per second per read or write key (RATE_LIMIT_RPS); 0 is no limit. */
  rateLimitRps: number;
  /** Requests per second per admin key (RATE_LIMIT_ADMIN_RPS); 0, the default, is no limit. */
  adminRateLimitRps: number;
  /** Routes that load synthetic data and time queries in-process, for `npm run bench` only. */
  enableBenchRoutes: boolean;
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

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
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
    temporalNamespace: optional(env, 'TEMPORAL_NAMESPACE') ?? 'default',
    temporalTaskQueue: optional(env, 'TEMPORAL_TASK_QUEUE') ?? 'orders',
    temporalCliPath: optional(env, 'TEMPORAL_CLI_PATH'),
    clickhouseUrl,
    clickhouseUser: optional(env, 'CLICKHOUSE_USER'),
    clickhousePassword: env.CLICKHOUSE_PASSWORD,
    clickhouseDatabase: database,
    logLevel,
    apiKeys,
    rateLimitRps: readInteger(env, 'RATE_LIMIT_RPS', 50, 0, 1_000_000, problems),
    adminRateLimitRps: readInteger(env, 'RATE_LIMIT_ADMIN_RPS', 0, 0, 1_000_000, problems),
    enableBenchRoutes: env.ENABLE_BENCH_ROUTES === '1' || env.ENABLE_BENCH_ROUTES === 'true',
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
