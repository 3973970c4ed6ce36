import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, SETTINGS } from '../../src/config';

/** The problems loadConfig reports for an environment, one line each. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('PENDING_ORDER_TIMEOUT', () => {
  it('is unset by default: orders wait for ever', () => {
    expect(loadConfig({}).pendingOrderTimeoutMs).toBeUndefined();
    expect(loadConfig({ PENDING_ORDER_TIMEOUT: '  ' }).pendingOrderTimeoutMs).toBeUndefined();
  });

  it.each([
    ['30m', 30 * 60_000],
    ['24h', 24 * 3_600_000],
    ['1.5h', 90 * 60_000],
    ['2 days', 2 * 86_400_000],
    ['90s', 90_000],
    ['365d', 365 * 86_400_000],
  ])('reads %s as a duration', (raw, millis) => {
    expect(loadConfig({ PENDING_ORDER_TIMEOUT: raw }).pendingOrderTimeoutMs).toBe(millis);
  });

  // A bare number has no unit to read it in (30 would be 30 ms to `ms`, surely not what was meant).
  it.each(['30', 'soon', '-1h', '0s', '500ms', '2y', '30 parsecs'])('refuses %s, naming the variable and what it takes', (raw) => {
    expect(problemsOf({ PENDING_ORDER_TIMEOUT: raw })).toEqual([
      `PENDING_ORDER_TIMEOUT=${JSON.stringify(raw)}: must be a duration from 1s to 365d with its unit, e.g. 30m, 24h or 2 days`,
    ]);
  });
});

// Under 10 a heap would be collected again almost at once (V8's own least growth is 10%).
describe('HEAP_GROWTH_PERCENT', () => {
  it.each([
    ['0', 0],
    ['10', 10],
    ['300', 300],
  ])('reads %s', (raw, percent) => {
    expect(loadConfig({ HEAP_GROWTH_PERCENT: raw }).heapGrowthPercent).toBe(percent);
  });

  it.each(['9', '301', '-5', '1.5', 'half'])('refuses %s, naming what it takes', (raw) => {
    expect(problemsOf({ HEAP_GROWTH_PERCENT: raw })).toEqual([
      `HEAP_GROWTH_PERCENT=${JSON.stringify(raw)}: must be 0 (V8's own choice) or an integer from 10 to 300`,
    ]);
  });
});

describe('when nothing is set', () => {
  it('runs embedded, with the documented defaults', () => {
    const config = loadConfig({}, '/srv/orders');
    expect(config).toMatchObject({
      port: 3000,
      dataDir: '/srv/orders/.data',
      temporalAddress: undefined,
      temporalDevPort: 7233,
      temporalNamespace: 'default',
      temporalTaskQueue: 'orders',
      clickhouseUrl: undefined,
      clickhouseDatabase: 'orders',
      logLevel: 'info',
      apiKeys: undefined,
      rateLimitRps: 50,
      workerActivitySlots: 2000,
      heapGrowthPercent: 50,
    });
  });

  it('counts a variable set to nothing or to spaces as unset', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: '  ', CLICKHOUSE_URL: ' ' })).toMatchObject({ port: 3000, logLevel: 'info', clickhouseUrl: undefined });
  });
});

describe('when settings are bad', () => {
  it('names every bad one on a line of its own, with its value and what it takes', () => {
    expect(
      problemsOf({
        PORT: 'x',
        TEMPORAL_DEV_PORT: '0',
        RATE_LIMIT_RPS: '-1',
        LOG_LEVEL: 'loud',
        TEMPORAL_UI_URL: 'ftp://ui',
        TEMPORAL_METRICS_ADDRESS: '9465',
        CLICKHOUSE_DATABASE: 'orders; DROP',
        API_KEYS: 'short,abcdefghijklmnopq:boss',
      }),
    ).toEqual([
      'PORT="x": must be a port number from 0 to 65535',
      'TEMPORAL_DEV_PORT="0": must be a port number from 1 to 65535',
      'TEMPORAL_UI_URL="ftp://ui": must be an http:// or https:// URL',
      'CLICKHOUSE_DATABASE="orders; DROP": must be a plain identifier (letters, digits, _)',
      'API_KEYS entry 1: a secret must be at least 16 characters',
      'API_KEYS entry 2: role "boss" is not one of read, write, admin',
      'RATE_LIMIT_RPS="-1": must be an integer from 0 to 1000000',
      'LOG_LEVEL="loud": must be one of debug, info, warn, error',
      'TEMPORAL_METRICS_ADDRESS="9465": must be host:port, e.g. 0.0.0.0:9465',
    ]);
  });

  it('does not show back a ClickHouse URL, which may carry a password', () => {
    expect(problemsOf({ CLICKHOUSE_URL: 'ftp://admin:hunter2@ch' })).toEqual(['CLICKHOUSE_URL: must be an http:// or https:// URL']);
  });
});

describe('the README', () => {
  /** The variables the configuration table of README.md names, in its first column. */
  function documentedVariables(): string[] {
    const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const section = readme.split(/^## /m).find((part) => part.startsWith('Configuration\n'));
    if (!section) throw new Error('README.md has no "## Configuration" section');
    const rows = section.split('\n').filter((line) => /^\| `/.test(line));
    return rows.flatMap((row) => [...row.split('|')[1].matchAll(/`([A-Z_<>]+)`/g)].map((match) => match[1]));
  }

  it('lists exactly the settings that are read, each once', () => {
    // Temporal's gRPC headers are a family of variables, read by @temporalio/envconfig, which the
    // schema cannot name one by one.
    const family = 'TEMPORAL_GRPC_META_<NAME>';
    const documented = documentedVariables();
    expect(new Set(documented).size).toBe(documented.length);
    expect(documented.sort()).toEqual([...Object.keys(SETTINGS.shape), family].sort());
  });
});
