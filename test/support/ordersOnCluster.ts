/**
 * The order service scaled out on a real Temporal cluster (`temporalCluster.ts`) whose namespace an
 * operator created and nothing else: one ClickHouse shared over HTTP, and API and worker processes
 * from the built entry points (the cluster tier's global setup runs `npm run build`), each API on a
 * port of its own. Requests are spread over the APIs that are running, as a load balancer would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createClient } from '@clickhouse/client';
import { Client, Connection } from '@temporalio/client';
import { ClickHouseHttp, serveClickHouseOverHttp } from './clickhouseHttp';
import { call, useApiKey } from './http';
import { logQueryThrough, type LogQuery } from './load';
import { Background } from './processes';
import { launchRole, Role, serviceEnvironment } from './serviceProcesses';
import { eventually, freePort, TEST_KEYS, temporalCli, tempDir } from './stack';
import { ClusterTools, startTemporalCluster, TemporalCluster } from './temporalCluster';

export interface OrdersOnCluster {
  temporal: TemporalCluster;
  clickhouse: ClickHouseHttp;
  namespace: string;
  /** Every process started so far, in order (for their logs). */
  processes: Background[];
  /** Starts an API (on a port of its own) or a worker; `env` adds to or overrides the shared environment. */
  launch(role: Role, env?: Record<string, string>): Promise<Background>;
  /** The URL of an API that is running, each in turn. */
  apiUrl(): string;
  /** Waits until every API that is running answers ready, as a load balancer would before sending it requests. */
  ready(): Promise<void>;
  apiUrlOf(api: Background): string;
  /** A Temporal client on the cluster's namespace. */
  temporalClient(): Promise<{ client: Client; close(): Promise<void> }>;
  /** Reads the shared ClickHouse directly, for the fault tier's invariants. */
  queryLog: LogQuery;
  stop(): Promise<void>;
}

/** The tools the cluster tier's global setup installed (`installClusterTools`), as it passed them on. */
export function installedClusterTools(): ClusterTools {
  const { TEMPORAL_SERVER_DIR, POSTGRES_BIN_DIR } = process.env;
  if (!TEMPORAL_SERVER_DIR || !POSTGRES_BIN_DIR) throw new Error('run the cluster tier with npm run test:cluster (its global setup installs the cluster)');
  return { temporalServerDir: TEMPORAL_SERVER_DIR, postgresBinDir: POSTGRES_BIN_DIR };
}

export async function startOrdersOnCluster(options: { namespace?: string } = {}): Promise<OrdersOnCluster> {
  const namespace = options.namespace ?? 'default';
  const temporal = await startTemporalCluster({ tools: installedClusterTools(), temporalCli: temporalCli(), freePort });
  const dataDir = tempDir('on-cluster');
  let clickhouse: ClickHouseHttp | undefined;
  const processes: Background[] = [];
  const urls = new Map<Background, string>();
  let turn = 0;
  try {
    await temporal.createNamespace(namespace);
    clickhouse = await serveClickHouseOverHttp(path.join(dataDir, 'clickhouse'));
  } catch (error) {
    await temporal.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const shared = { ...serviceEnvironment(temporal.address, clickhouse, path.join(dataDir, 'process')), TEMPORAL_NAMESPACE: namespace };
  const direct = createClient({ url: clickhouse.url, username: clickhouse.user, password: clickhouse.password });

  return {
    temporal,
    clickhouse,
    namespace,
    processes,
    async launch(role, env = {}) {
      const port = role === 'api' ? await freePort() : undefined;
      const child = await launchRole(role, { ...shared, ...(port ? { PORT: String(port) } : {}), ...env }, 'built');
      processes.push(child);
      if (port) {
        const url = `http://127.0.0.1:${port}`;
        urls.set(child, url);
        useApiKey(url, TEST_KEYS.admin);
      }
      return child;
    },
    apiUrl() {
      const running = [...urls].filter(([child]) => !child.exited).map(([, url]) => url);
      if (running.length === 0) throw new Error('no API process is running');
      return running[turn++ % running.length];
    },
    async ready() {
      for (const [child, url] of urls) {
        if (child.exited) continue;
        await eventually(async () => ((await call(url, 'GET', '/readyz')).status === 200 ? true : undefined), 60_000, `${url} ready`);
      }
    },
    apiUrlOf(api) {
      const url = urls.get(api);
      if (!url) throw new Error('not an API process of this cluster');
      return url;
    },
    async temporalClient() {
      const connection = await Connection.connect({ address: temporal.address });
      return { client: new Client({ connection, namespace }), close: () => connection.close() };
    },
    queryLog: logQueryThrough(direct),
    async stop() {
      for (const child of processes) await child.stop('SIGKILL');
      await direct.close();
      await clickhouse?.close();
      await temporal.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
