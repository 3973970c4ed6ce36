/**
 * The process edge shared by the three entry points: reads the configuration, starts the roles,
 * prints where to go, and on SIGINT/SIGTERM stops everything it started.
 */
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../logger';
import { Roles, Seams, startService } from '../service';
import { installTemporalRuntime } from '../temporal/runtimeLogger';
import { apiKeyFile } from '../apiKeyFile';

/** Signals closer together than this are one interrupt delivered twice. */
const SAME_INTERRUPT_MS = 1000;

/** `seams`: what a tool running the service from an entry point of its own plugs in (bench/service.ts). */
export async function run(roles: Roles, mode: 'embedded' | 'scaled-out', seams?: Seams): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  if (mode === 'scaled-out') {
    const missing = [
      !config.temporalAddress && 'TEMPORAL_ADDRESS',
      !config.clickhouseUrl && 'CLICKHOUSE_URL',
      roles.api && !config.apiKeys && 'API_KEYS',
    ].filter(Boolean);
    if (missing.length > 0) {
      console.error(
        `Running the ${roles.api ? 'API' : 'worker'} alone needs shared servers: set ${missing.join(' and ')}.\n` +
          'The embedded Temporal and ClickHouse live inside one process; use `npm start` for that.',
      );
      process.exit(2);
    }
  }
  const log = createLogger(config.logLevel, { pretty: Boolean(process.stdout.isTTY) && !process.env.CI });
  const say = (message: string) => log.info(message);
  installTemporalRuntime(log, config.temporalMetricsAddress);

  const service = await startService(config, roles, log, { say, pathVariable: process.env.PATH, seams }).catch((error: unknown) => {
    log.fatal(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });

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

  let stoppingSince: number | undefined;
  const stop = (signal: string) => {
    if (stoppingSince !== undefined) {
      // One Ctrl-C under `npm start` arrives twice: the terminal signals npm and this process,
      // and npm passes its own on. Only a second press, a moment later, means "now".
      if (Date.now() - stoppingSince < SAME_INTERRUPT_MS) return;
      log.warn(`second ${signal}: exiting now`);
      process.exit(130);
    }
    stoppingSince = Date.now();
    say(`${signal} received: stopping`);
    // Bounded: a hung dependency must not keep the process alive forever.
    const deadline = setTimeout(() => {
      log.error('graceful shutdown took longer than 30s; exiting');
      process.exit(1);
    }, 30_000);
    deadline.unref();
    service
      .stop()
      .then(() => {
        say('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
