/**
 * The scaled-out mode: the API and the worker run as separate processes (their own entry points,
 * as `npm run start:api` and `npm run start:worker` run them) against one Temporal dev server and
 * one ClickHouse. The worker is killed with SIGKILL mid-flight under a steady stream of commands
 * and started again; no acknowledged command is lost or counted twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createClient } from '@clickhouse/client';
import { CommandLoad, checkInvariants, expectNothingLostOrDoubled, logQueryThrough } from '../support/load';
import { ScaledOut, startScaledOut } from '../support/scaledOut';
import { call } from '../support/http';
import { TEST_KEYS } from '../support/stack';

const SOAK = process.env.SOAK === '1';
const CRASHES = SOAK ? 10 : 2;

let cluster: ScaledOut;
let load: CommandLoad | undefined;

beforeAll(async () => {
  cluster = await startScaledOut();
}, 120_000);

afterAll(async () => {
  const keep = process.env.KEEP_FAULT_LOGS;
  if (keep && cluster) {
    fs.mkdirSync(keep, { recursive: true });
    // For a failed run: each process's output, and the history of every order left without an answer.
    for (const child of cluster.processes) fs.writeFileSync(path.join(keep, `${child.child.pid}.log`), child.output);
    const temporal = await cluster.temporalClient();
    for (const orderId of load?.figures.stuck ?? []) {
      const history = await temporal.client.workflow.getHandle(`order-${orderId}`).fetchHistory();
      fs.writeFileSync(path.join(keep, `${orderId}.history.json`), JSON.stringify(history, null, 1));
    }
    await temporal.close();
  }
  await cluster?.stop();
});

it(
  'loses and doubles nothing when the worker process is killed mid-flight and started again',
  async () => {
    await cluster.launch('api');
    let worker = await cluster.launch('worker');
    expect((await call(cluster.apiUrl, 'GET', '/readyz')).status).toBe(200);

    load = new CommandLoad(() => cluster.apiUrl, { lanes: 8 }).start();
    try {
      await load.progress(30);
      for (let n = 0; n < CRASHES; n += 1) {
        await worker.stop('SIGKILL');
        await new Promise((resolve) => setTimeout(resolve, 1000));
        worker = await cluster.launch('worker');
        await load.progress(30);
      }
    } finally {
      await load.stop();
    }

    const { clickhouse } = cluster;
    const direct = createClient({ url: clickhouse.url, username: clickhouse.user, password: clickhouse.password });
    try {
      const report = await checkInvariants(cluster.apiUrl, load.ledger, logQueryThrough(direct), { database: 'orders' });
      expectNothingLostOrDoubled('worker SIGKILL, scaled out', load.figures, report, CRASHES);
      // Neither process ever printed a credential, through crashes and restarts included.
      for (const child of cluster.processes) {
        expect(child.output).toContain('press Ctrl-C to stop');
        for (const secret of [clickhouse.password, TEST_KEYS.admin]) expect(child.output).not.toContain(secret);
      }
    } finally {
      await direct.close();
    }
  },
  SOAK ? 1_800_000 : 300_000,
);
