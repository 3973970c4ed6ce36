/**
 * The process edge every entry point goes through: reads the configuration, starts the roles,
 * prints where to go, and on SIGINT/SIGTERM stops everything it started.
 */
import { setFlagsFromString } from 'node:v8';
import { Config, ConfigError, loadConfig } from '../config';
import { createLogger, Logger } from '../logger';
import { Roles, Seams, Service, startService } from '../service';
import { installTemporalRuntime } from '../temporal/runtimeLogger';
import { apiKeyFile } from '../apiKeyFile';

type Mode = 'embedded' | 'scaled-out';

/** Signals closer together than this are one interrupt delivered twice. */
const SAME_INTERRUPT_MS = 1000;

/** A hung dependency must not keep the process alive forever. */
const SHUTDOWN_DEADLINE_MS = 30_000;

/** `seams`: what a tool running the service from an entry point of its own plugs in (bench/service.ts). */
export async function run(roles: Roles, mode: Mode, seams?: Seams): Promise<void> {
  const config = configOrExit();
  setHeapGrowth(config.heapGrowthPercent);
  if (mode === 'scaled-out') requireSharedServers(config, roles);
  const log = createLogger(config.logLevel, { pretty: Boolean(process.stdout.isTTY) && !process.env.CI });
  const say = (message: string) => log.info(message);
  installTemporalRuntime(log, config.temporalMetricsAddress);
  const service = await startService(config, roles, log, { say, pathVariable: process.env.PATH, seams }).catch((error: unknown) => {
    log.fatal(error instanceof Error ? error.message : String(error));
    return process.exit(1);
  });
  sayWhereToGo(service, config, roles, say);
  stopOnSignals(service, log);
}

/**
 * How far each JavaScript heap of the process (the main thread's, every worker thread's) may grow
 * past what its last full collection kept, in place of V8's own choice of up to four times, which
 * under load lets the heaps fill with garbage (docs/decisions/0066). V8's flags are the process's,
 * so one call where every entry point starts covers every heap; 0 leaves V8's choice alone.
 */
function setHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/** The configuration, or its problems on stderr and exit code 2. */
function configOrExit(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return process.exit(2);
  }
}

/** The API or the worker alone shares Temporal and ClickHouse with the other processes: they must be servers. */
function requireSharedServers(config: Config, roles: Roles): void {
  const missing = [!config.temporalAddress && 'TEMPORAL_ADDRESS', !config.clickhouseUrl && 'CLICKHOUSE_URL', roles.api && !config.apiKeys && 'API_KEYS'].filter(
    Boolean,
  );
  if (missing.length === 0) return;
  console.error(
    `Running the ${roles.api ? 'API' : 'worker'} alone needs shared servers: set ${missing.join(' and ')}.\n` +
      'The embedded Temporal and ClickHouse live inside one process; use `npm start` for that.',
  );
  process.exit(2);
}

function sayWhereToGo(service: Service, config: Config, roles: Roles, say: (message: string) => void): void {
  if (service.apiUrl) {
    const local = service.apiUrl.replace('127.0.0.1', 'localhost');
    say(`API ready at ${local}`);
    say(`  dashboard at ${local}/ · API docs at ${local}/docs`);
  }
  if (service.generatedApiKey) {
    const { key, created } = service.generatedApiKey;
    say(`API key (admin, ${created ? 'generated into' : 'kept in'} ${apiKeyFile(config.dataDir)}): ${key}`);
    say(`  e.g. curl -H 'Authorization: Bearer ${key}' http://localhost:${new URL(service.apiUrl!).port}/orders`);
  }
  if (service.temporalUiUrl) say(`Temporal Web UI at http://localhost:${config.temporalUiPort}`);
  if (roles.worker && !roles.api) say(`worker polling ${config.temporalTaskQueue} on ${service.temporalAddress}`);
  say('press Ctrl-C to stop');
}

/** The first SIGINT or SIGTERM stops the service gracefully; a second press, a moment later, exits at once. */
function stopOnSignals(service: Service, log: Logger): void {
  let stoppingSince: number | undefined;
  const onSignal = (signal: string) => {
    if (stoppingSince === undefined) {
      stoppingSince = Date.now();
      stopGracefully(service, log, signal);
      return;
    }
    // One Ctrl-C under `npm start` arrives twice: the terminal signals npm and this process,
    // and npm passes its own on. Only a second press, a moment later, means "now".
    if (Date.now() - stoppingSince < SAME_INTERRUPT_MS) return;
    log.warn(`second ${signal}: exiting now`);
    process.exit(130);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

function stopGracefully(service: Service, log: Logger, signal: string): void {
  log.info(`${signal} received: stopping`);
  const deadline = setTimeout(() => {
    log.error(`graceful shutdown took longer than ${SHUTDOWN_DEADLINE_MS / 1000}s; exiting`);
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  service
    .stop()
    .then(() => {
      log.info('stopped');
      process.exit(0);
    })
    .catch((error: unknown) => {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
}
