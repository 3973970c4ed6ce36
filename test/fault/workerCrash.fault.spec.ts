/**
 * The scaled-out mode: the API and the worker run as separate processes (their own entry points,
 * as `npm run start:api` and `npm run start:worker` run them) against one Temporal dev server and
 * one ClickHouse. The worker is killed with SIGKILL mid-flight under a steady stream of commands
 * and started again; no acknowledged command is lost or counted twice.
 */
import path from 'node:path';
import fs from 'node:fs';
import { createClient } from '@clickhouse/client';
import { Client, Connection } from '@temporalio/client';
import { projectRoot } from '../../src/paths';
import { DevServer, startDevServer } from '../../src/temporal/devServer';
import { ClickHouseHttp, serveClickHouseOverHttp } from '../support/clickhouseHttp';
import { call, useApiKey } from '../support/http';
import { CommandLoad, checkInvariants, describeRun } from '../support/load';
import { Background } from '../support/processes';
import { freePort, TEST_KEYS, temporalCli, tempDir } from '../support/stack';

const SOAK = process.env.SOAK === '1';
const CRASHES = SOAK ? 10 : 2;
const BIN = path.join(projectRoot(), 'src', 'bin');

let dataDir: string;
let devServer: DevServer;
let clickhouse: ClickHouseHttp;
let env: Record<string, string>;
let apiUrl: string;
const processes: Background[] = [];

beforeAll(async () => {
  dataDir = tempDir('scaled');
  devServer = await startDevServer({
    binary: { kind: 'path', path: temporalCli(), source: 'test' },
    dataDir: path.join(dataDir, 'temporal'),
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    say: () => {},
  });
  clickhouse = await serveClickHouseOverHttp(path.join(dataDir, 'clickhouse'));
  const port = await freePort();
  env = {
    ...(process.env as Record<string, string>),
    TEMPORAL_ADDRESS: devServer.address,
    CLICKHOUSE_URL: clickhouse.url,
    CLICKHOUSE_USER: clickhouse.user,
    CLICKHOUSE_PASSWORD: clickhouse.password,
    API_KEYS: `${TEST_KEYS.admin}:admin`,
    PORT: String(port),
    DATA_DIR: path.join(dataDir, 'process'),
    CI: '1',
  };
  apiUrl = `http://127.0.0.1:${port}`;
  useApiKey(apiUrl, TEST_KEYS.admin);
  // The worker alone serves its own metrics page, with the Temporal SDK's metrics bridged in.
  workerEnv = { ...env, METRICS_PORT: String(await freePort()), TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${await freePort()}` };
}, 120_000);

let load: CommandLoad | undefined;

afterAll(async () => {
  const keep = process.env.KEEP_FAULT_LOGS;
  if (keep) {
    // For a failed run: each process's output, and the history of every order left without an answer.
    for (const child of processes) fs.writeFileSync(path.join(keep, `${child.child.pid}.log`), child.output);
    const connection = await Connection.connect({ address: devServer.address });
    const client = new Client({ connection });
    for (const orderId of load?.figures.stuck ?? []) {
      const history = await client.workflow.getHandle(`order-${orderId}`).fetchHistory();
      fs.writeFileSync(path.join(keep, `${orderId}.history.json`), JSON.stringify(history, null, 1));
    }
    await connection.close();
  }
  for (const child of processes) await child.stop('SIGKILL');
  await clickhouse?.close();
  await devServer?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

let workerEnv: Record<string, string>;

async function launch(entry: 'startApi' | 'startWorker'): Promise<Background> {
  const child = new Background(process.execPath, ['--import', 'tsx', path.join(BIN, `${entry}.ts`)], {
    env: entry === 'startWorker' ? workerEnv : env,
    cwd: projectRoot(),
  });
  processes.push(child);
  await child.waitFor(/press Ctrl-C to stop/, 90_000);
  return child;
}

it(
  'loses and doubles nothing when the worker process is killed mid-flight and started again',
  async () => {
    await launch('startApi');
    let worker = await launch('startWorker');
    expect((await call(apiUrl, 'GET', '/readyz')).status).toBe(200);

    load = new CommandLoad(() => apiUrl, { lanes: 8 }).start();
    try {
      await load.progress(30);
      for (let n = 0; n < CRASHES; n += 1) {
        await worker.stop('SIGKILL');
        await new Promise((resolve) => setTimeout(resolve, 1000));
        worker = await launch('startWorker');
        await load.progress(30);
      }
    } finally {
      await load.stop();
    }

    const direct = createClient({ url: clickhouse.url, username: clickhouse.user, password: clickhouse.password });
    try {
      const report = await checkInvariants(
        apiUrl,
        load.ledger,
        async (query, params) => (await direct.query({ query, query_params: params, format: 'JSONEachRow' })).json(),
        { database: 'orders' },
      );
      console.log(describeRun('worker SIGKILL, scaled out', load.figures, report, CRASHES));
      expect(load.figures.unexpected).toEqual([]);
      expect(report.problems).toEqual([]);
      expect({ lost: report.lost, doubled: report.doubled }).toEqual({ lost: 0, doubled: 0 });
      // Neither process ever printed a credential, through crashes and restarts included.
      for (const child of processes) {
        expect(child.output).toContain('press Ctrl-C to stop');
        for (const secret of [clickhouse.password, TEST_KEYS.admin]) expect(child.output).not.toContain(secret);
      }
    } finally {
      await direct.close();
    }
  },
  SOAK ? 1_800_000 : 300_000,
);

it("serves the worker's metrics, the Temporal SDK's included, on its own port", async () => {
  const page = await (await fetch(`http://127.0.0.1:${workerEnv.METRICS_PORT}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const appended = /^orders_events_appended_total (\d+)/m.exec(page);
  expect(Number(appended?.[1])).toBeGreaterThan(0);
  // Core SDK metrics: workflow and activity task latencies of this worker.
  expect(page).toMatch(/^temporal_workflow_task_execution_latency\w*\{/m);
  expect(page).toMatch(/^temporal_activity_execution_latency\w*\{/m);
});
