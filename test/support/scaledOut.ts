/**
 * The scaled-out mode on one machine: a Temporal dev server, one ClickHouse shared over HTTP
 * (chDB behind `clickhouseHttp.ts`), and the API and worker as separate processes started from
 * their own entry points, as `npm run start:api` and `npm run start:worker` run them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DevServer, startDevServer } from '../../src/temporal/devServer';
import { ClickHouseHttp, serveClickHouseOverHttp } from './clickhouseHttp';
import { useApiKey } from './http';
import { Background } from './processes';
import { launchRole, serviceEnvironment } from './serviceProcesses';
import { freePort, TEST_KEYS, temporalCli, tempDir } from './stack';

/** The scaled-out worker's WORKER_ACTIVITY_SLOTS, not the default. */
export const WORKER_ACTIVITY_SLOTS = 321;

export interface ScaledOut {
  apiUrl: string;
  devServer: DevServer;
  clickhouse: ClickHouseHttp;
  /** Takes the Temporal server away until the returned function starts it again on the same data. */
  stopTemporal(): Promise<() => Promise<void>>;
  /** Takes the shared ClickHouse away until the returned function brings it back on the same address. */
  stopClickHouse(): Promise<() => Promise<void>>;
  /** The environment of the API process; the worker's adds its own metrics ports. */
  env: Record<string, string>;
  workerEnv: Record<string, string>;
  /** Every process started so far, in order. */
  processes: Background[];
  /** Starts one role and waits for its last start-up line. */
  launch(role: 'api' | 'worker'): Promise<Background>;
  /** A Temporal client on the dev server, for tests that read histories. */
  temporalClient(): Promise<{ client: Client; close(): Promise<void> }>;
  /** Stops every process, the ClickHouse server and the dev server; removes the data. */
  stop(): Promise<void>;
}

export async function startScaledOut(): Promise<ScaledOut> {
  const dataDir = tempDir('scaled');
  const devServerOptions = {
    binary: { kind: 'path' as const, path: temporalCli(), source: 'test' },
    dataDir: path.join(dataDir, 'temporal'),
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    say: () => {},
  };
  let devServer = await startDevServer(devServerOptions);
  let clickhouse = await serveClickHouseOverHttp(path.join(dataDir, 'clickhouse'));
  const port = await freePort();
  const env = { ...serviceEnvironment(devServer.address, clickhouse, path.join(dataDir, 'process')), PORT: String(port) };
  // The worker alone serves its own metrics page, with the Temporal SDK's metrics bridged in; its
  // activity slots are set to a number of its own, which that page shows.
  const workerEnv = {
    ...env,
    METRICS_PORT: String(await freePort()),
    TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
    WORKER_ACTIVITY_SLOTS: String(WORKER_ACTIVITY_SLOTS),
  };
  const apiUrl = `http://127.0.0.1:${port}`;
  useApiKey(apiUrl, TEST_KEYS.admin);
  const processes: Background[] = [];

  return {
    apiUrl,
    get devServer() {
      return devServer;
    },
    async stopTemporal() {
      await devServer.stop();
      return async () => {
        devServer = await startDevServer(devServerOptions);
      };
    },
    get clickhouse() {
      return clickhouse;
    },
    async stopClickHouse() {
      const { user, password, url } = clickhouse;
      await clickhouse.close();
      return async () => {
        clickhouse = await serveClickHouseOverHttp(path.join(dataDir, 'clickhouse'), { user, password }, Number(new URL(url).port));
      };
    },
    env,
    workerEnv,
    processes,
    async launch(role) {
      const child = await launchRole(role, role === 'worker' ? workerEnv : env, 'source');
      processes.push(child);
      return child;
    },
    async temporalClient() {
      const connection = await Connection.connect({ address: devServer.address });
      return { client: new Client({ connection }), close: () => connection.close() };
    },
    async stop() {
      for (const child of processes) await child.stop('SIGKILL');
      await clickhouse.close();
      await devServer.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
