/**
 * The Temporal part of the service: the server (a given address, or the embedded dev server
 * started here) and a client connection for the roles that send to workflows.
 */
import { Client, Connection, defaultGrpcRetryOptions, GrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { ClusterGate } from '../temporal/clusterGate';
import { clusterTarget } from '../temporal/operatorCommands';
import { startDevServer } from '../temporal/devServer';
import { temporalConnectionOptions, TemporalConnectionOptions } from '../temporal/connectionOptions';
import { locateTemporalBinary } from '../temporal/temporalBinary';
import { toolsDir } from '../paths';
import type { Stops } from './stops';

export interface Temporal {
  address: string;
  /** How the worker and the client reach it (TLS and an API key for a server we did not start). */
  connection: TemporalConnectionOptions;
  namespace: string;
  /** The embedded dev server's Web UI, when this process started it. */
  uiUrl?: string;
}

export interface TemporalOptions {
  say: (message: string) => void;
  /** Where to look for a `temporal` binary (the process's PATH). */
  pathVariable?: string;
  /** Server limits for the embedded dev server (tests lower the continue-as-new suggestion). */
  dynamicConfig?: Record<string, string | number | boolean>;
}

/** The Temporal server at TEMPORAL_ADDRESS, or the embedded dev server, started (and stopped) here. */
export async function startTemporal(config: Config, options: TemporalOptions, stops: Stops): Promise<Temporal> {
  const namespace = config.temporalNamespace;
  if (config.temporalAddress) {
    return { address: config.temporalAddress, connection: temporalConnectionOptions(config.temporalAddress, config.temporalConnection), namespace };
  }
  const binary = locateTemporalBinary({ cliPath: config.temporalCliPath, pathVariable: options.pathVariable, toolsDir: toolsDir(), say: options.say });
  const devServer = await startDevServer({
    binary,
    dataDir: config.dataDir,
    port: config.temporalDevPort,
    uiPort: config.temporalUiPort,
    namespace,
    dynamicConfig: options.dynamicConfig,
    say: options.say,
  });
  stops.push('the Temporal dev server', () => devServer.stop());
  return { address: devServer.address, connection: temporalConnectionOptions(devServer.address), namespace, uiUrl: devServer.uiUrl };
}

/**
 * A client for sending to workflows, closed with the service, and the check of its namespace,
 * made now: its commands wait on it (src/temporal/clusterCheck.ts), and readiness reports it.
 */
export async function connectClient(temporal: Temporal, log: Logger, stops: Stops): Promise<{ client: Client; cluster: ClusterGate }> {
  const connection = await Connection.connect({ ...temporal.connection, interceptors: [makeGrpcRetryInterceptor(temporalRetries())] });
  stops.push('the Temporal client', () => connection.close());
  const cluster = new ClusterGate(connection, clusterTarget(temporal.connection, temporal.namespace), log);
  await cluster.readiness();
  return { client: new Client({ connection, namespace: temporal.namespace, interceptors: { workflow: [cluster.interceptor()] } }), cluster };
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
