/**
 * Faults under load on a real Temporal cluster, with the service scaled out (two API processes,
 * two workers): a worker SIGKILLed, an API process SIGKILLed, the history service SIGKILLed and
 * started again, PostgreSQL restarted under the cluster. Each fault is injected while a steady
 * stream of commands runs (as the fault tier sends them: unknown outcomes resent with the same
 * Idempotency-Key); after each, every order so far is checked: no acknowledged command is lost or
 * counted twice, the read models converge, the statistics equal a recount.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CommandLoad, checkInvariants, expectNothingLostOrDoubled, LedgerEntry } from '../support/load';
import { OrdersOnCluster, startOrdersOnCluster } from '../support/ordersOnCluster';
import { Background } from '../support/processes';
import { eventually } from '../support/stack';

let cluster: OrdersOnCluster;
let apis: Background[];
let workers: Background[];
/** Every order of every load so far: each check covers them all, so a later fault cannot hide an earlier loss. */
const ledger = new Map<string, LedgerEntry>();

beforeAll(async () => {
  cluster = await startOrdersOnCluster();
  apis = [await cluster.launch('api'), await cluster.launch('api')];
  workers = [await cluster.launch('worker'), await cluster.launch('worker')];
  await cluster.ready();
}, 240_000);

afterAll(async () => {
  const keep = process.env.KEEP_FAULT_LOGS;
  if (keep && cluster) {
    fs.mkdirSync(keep, { recursive: true });
    for (const child of [...cluster.processes, ...Object.values(cluster.temporal.services)])
      fs.writeFileSync(path.join(keep, `${child.child.pid}.log`), child.output);
  }
  await cluster?.stop();
});

/** Runs a load, injects the fault once it is under way, and checks every order so far once the load has stopped. */
async function underLoad(name: string, fault: (load: CommandLoad) => Promise<void>): Promise<void> {
  const load = new CommandLoad(() => cluster.apiUrl(), { lanes: 8, prefix: name.replace(/\W+/g, '-') }).start();
  try {
    await load.progress(30);
    await fault(load);
    await load.progress(30, 120_000);
  } finally {
    await load.stop();
  }
  for (const [orderId, entry] of load.ledger) ledger.set(orderId, entry);
  const report = await checkInvariants(cluster.apiUrl(), ledger, cluster.queryLog, { database: 'orders' });
  expectNothingLostOrDoubled(`${name}, on a Temporal cluster`, load.figures, report, 1, '; checked over every order so far');
}

it('loses and doubles nothing when a worker is SIGKILLed and started again', async () => {
  await underLoad('worker SIGKILL', async () => {
    await workers[0].stop('SIGKILL');
    workers[0] = await cluster.launch('worker');
  });
});

it('loses and doubles nothing when an API process is SIGKILLed mid-request and replaced', async () => {
  await underLoad('API SIGKILL', async () => {
    await apis[0].stop('SIGKILL');
    apis[0] = await cluster.launch('api');
  });
});

/**
 * Keeps a part of the cluster away until the load has felt it (a command whose outcome was unknown,
 * sent again), so that the fault is one clients meet and not only a blip the server hides.
 */
async function awayUntilFelt(load: CommandLoad, stop: () => Promise<void>, start: () => Promise<void>): Promise<void> {
  const resent = load.figures.resent;
  await stop();
  try {
    await eventually(async () => (load.figures.resent > resent ? true : undefined), 60_000, 'a command to meet the fault');
  } finally {
    await start();
  }
}

it('loses and doubles nothing when the history service is SIGKILLed and started again', async () => {
  await underLoad('history SIGKILL', (load) =>
    awayUntilFelt(
      load,
      () => cluster.temporal.kill('history'),
      () => cluster.temporal.start('history'),
    ),
  );
});

it('loses and doubles nothing when PostgreSQL restarts under the cluster', async () => {
  await underLoad('PostgreSQL restart', (load) =>
    awayUntilFelt(
      load,
      () => cluster.temporal.stopPostgres(),
      () => cluster.temporal.startPostgres(),
    ),
  );
});
