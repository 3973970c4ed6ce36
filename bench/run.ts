/**
 * `npm run bench` (full), `npm run bench -- --quick` (a few minutes), `--tiny` (a smoke run).
 * `--only a,c` runs some scenarios alone (a and b share a phase, as do a and e); `--concurrency 64`
 * runs (a) at some of its levels only; `--rhythm back-to-back|person` in one of its rhythms only;
 * `--profile DIR` saves the service's CPU profile; `--floor no-append|bare` runs a floor variant
 * (bench/floor/seams.ts). They are for finding where the time goes.
 *
 * Builds and starts the service as `npm start` does (`npm run build`, then the compiled service,
 * through bench/service.ts, which adds the benchmark's own server beside it), in a child process on
 * a scratch data directory, and measures, each against a baseline from the same run on the same machine:
 *   a. commands end to end over HTTP at several concurrencies, each order's commands back to back
 *      and in a person's rhythm, against a no-op workflow doing the same start + three Updates in
 *      the same rhythm on the same Temporal server, the two taking turns in rounds;
 *   b. projection lag: a command's 2xx until the change shows in the query API;
 *   c. event ingestion through the activity path, against one bulk insert and single-row inserts;
 *   d. queries over HTTP on a generated year of orders, against the same queries in-process;
 *   e. peak memory of the service and of the Temporal server during (a).
 * Prints a table and writes bench/results/latest.json plus a dated copy.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { generatedCustomerCount, generatedCustomerId, generatedOrderId } from './server/generate';
import type { QueryKind, QueryPlan, QueryTimings } from './server/direct';
import type { IngestFigures } from './server/ingest';
import { inTurns } from './inTurns';
import { ORDER_STATUSES } from '../src/domain/order';
import { ndjsonLines } from '../src/cli/apiClient';
import { projectRoot } from '../src/paths';
import { devServerDbFile, devServersUsing } from '../src/temporal/devServer';
import { Background } from '../test/support/processes';
import { freePort } from '../test/support/stack';
import { distribution, Distribution, Scenario } from './stats';
import { measureMachineSpeed } from './machineSpeed';
import { FLOORS, isFloor } from './floor/seams';
import { bundleWorkflows } from '../src/temporal/worker';
import { commandsInTurns, commandsOnTemporalAlone, commandsOverHttp, json, Rhythm, RHYTHMS, useApiKey } from './commands';

type Size = 'tiny' | 'quick' | 'full';

interface Settings {
  size: Size;
  /** Orders (each four commands) per concurrency level, back to back. */
  ordersAt: Record<number, number>;
  /**
   * Orders per concurrency level in a person's rhythm (some of the levels above): enough that, in
   * each round, every lane finds an order due for as long as new orders start, even at the
   * baseline's rate (each order is due once per spacing, so about rate × 4 s orders are in flight).
   */
  personOrdersAt: Record<number, number>;
  /**
   * The orders of a level are split into rounds, ours and the baseline's taking turns, so that a
   * spell of a busy machine (this one's speed swings by a fifth from minute to minute) or a
   * fuller Temporal database meets both alike instead of whichever ran second.
   */
  commandRounds: number;
  /** Every n-th acknowledged command is followed until the read model shows it. */
  lagSampleEvery: number;
  ingestOrders: number;
  generatedOrders: number;
  queryIterations: number;
}

const SETTINGS: Record<Size, Settings> = {
  tiny: {
    size: 'tiny',
    ordersAt: { 1: 5, 4: 10 },
    personOrdersAt: { 4: 8 },
    commandRounds: 2,
    lagSampleEvery: 2,
    ingestOrders: 100,
    generatedOrders: 20_000,
    queryIterations: 10,
  },
  quick: {
    size: 'quick',
    ordersAt: { 1: 40, 16: 300, 64: 600 },
    personOrdersAt: { 1: 800, 64: 2400 },
    commandRounds: 2,
    lagSampleEvery: 10,
    ingestOrders: 5_000,
    generatedOrders: 1_000_000,
    queryIterations: 200,
  },
  full: {
    size: 'full',
    ordersAt: { 1: 100, 16: 1000, 64: 2500 },
    personOrdersAt: { 1: 1600, 64: 6000 },
    commandRounds: 4,
    lagSampleEvery: 10,
    ingestOrders: 20_000,
    generatedOrders: 10_000_000,
    queryIterations: 500,
  },
};

/** What (a) must reach at these levels, as a ratio to the no-op baseline, in either rhythm. */
const RATIO_TARGETS: Record<number, number> = { 1: 0.5, 64: 0.65 };

const root = projectRoot();
const say = (message: string) => process.stdout.write(`${message}\n`);

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

async function untilReady(api: string, service: Background, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.exited) throw new Error(`the service exited while starting:\n${service.output}`);
    const ready = await fetch(`${api}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the service was not ready within ${timeoutMs / 1000} s:\n${service.output}`);
}

function memoryOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** Peak RSS of some processes, sampled while a phase runs. */
class MemoryWatch {
  readonly peaks = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly processes: Record<string, number>) {}

  start(): void {
    this.timer = setInterval(() => this.sample(), 200);
  }

  stop(): Map<string, number> {
    clearInterval(this.timer);
    this.sample();
    return this.peaks;
  }

  private sample(): void {
    for (const [name, pid] of Object.entries(this.processes)) {
      try {
        this.peaks.set(name, Math.max(this.peaks.get(name) ?? 0, memoryOf(pid).rss));
      } catch {
        // process gone
      }
    }
  }
}

function queryPlan(orders: number, iterations: number, year: number): QueryPlan {
  const pick = (n: number, salt: number) => (Math.imul(n + 1, 2654435761) ^ salt) >>> 0;
  const customers = generatedCustomerCount(orders);
  const months = Array.from({ length: iterations }, (_, i) => {
    const month = (i % 12) + 1;
    const next = month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`;
    return [`${year}-${String(month).padStart(2, '0')}-01`, next] as [string, string];
  });
  return {
    byId: Array.from({ length: iterations }, (_, i) => generatedOrderId(pick(i, 17) % orders)),
    byCustomer: Array.from({ length: iterations }, (_, i) => generatedCustomerId(pick(i, 29) % customers)),
    statusPage: Array.from({ length: iterations }, (_, i) => ORDER_STATUSES[i % ORDER_STATUSES.length]),
    statsMonth: months,
    // As the month stood when it ended: its later changes are in the log, and left out.
    statsMonthAsOf: months.map(([from, to]) => [from, to, to] as [string, string, string]),
    statsYear: Array.from({ length: Math.max(3, Math.floor(iterations / 10)) }, () => [`${year}-01-01`, `${year + 1}-01-01`] as [string, string]),
  };
}

function httpRoute(kind: QueryKind, parameter: QueryPlan[QueryKind][number]): string {
  switch (kind) {
    case 'byId':
      return `/orders/${parameter as string}`;
    case 'byCustomer':
      return `/customers/${parameter as string}/orders?limit=50`;
    case 'statusPage':
      return `/orders?status=${parameter as string}&limit=50`;
    default: {
      const [from, to, asOf] = parameter as [string, string, string?];
      return `/stats/orders?from=${from}&to=${to}${asOf === undefined ? '' : `&asOf=${asOf}`}`;
    }
  }
}

const QUERY_TARGETS: Record<QueryKind, number | undefined> = {
  byId: 20,
  byCustomer: 30,
  statusPage: 100,
  statsMonth: 250,
  statsMonthAsOf: 500,
  statsYear: undefined,
};
const QUERY_NAMES: Record<QueryKind, string> = {
  byId: 'order by id',
  byCustomer: 'orders by customer',
  statusPage: 'first page by status',
  statsMonth: 'statistics, one month',
  statsMonthAsOf: 'statistics, one month, as of a past instant',
  statsYear: 'statistics, whole year',
};

const fmt = (value: number | undefined, digits = 1) => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits));
const ms = (d?: Distribution) => (d ? `${fmt(d.p50)}/${fmt(d.p95)}/${fmt(d.p99)}` : '-');

function printTable(scenarios: Scenario[]): void {
  const rows = scenarios.map((s) => [
    s.name,
    String(s.count),
    s.throughput === undefined ? '-' : `${fmt(s.throughput, 0)} ${s.unit}`,
    ms(s.latencyMs),
    s.baseline ? (s.baseline.throughput !== undefined ? `${fmt(s.baseline.throughput, 0)} ${s.unit}` : ms(s.baseline.latencyMs)) : '-',
    s.ratio === undefined ? '-' : fmt(s.ratio, 2),
    s.target ? `${s.target} ${s.met ? 'met' : 'MISSED'}` : '',
  ]);
  const header = ['scenario', 'count', 'throughput', 'p50/p95/p99 ms', 'baseline', 'ratio', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  say(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) say(line(row));
}

interface CommandPhase {
  api: string;
  client: Client;
  /** The baseline worker's. */
  taskQueue: string;
  components: { service: number; temporal?: number };
  settings: Settings;
  /** Every n-th command is followed until the read model shows it; none in a floor variant, which writes no read model. */
  lagSampleEvery: number;
}

/**
 * (a) in one rhythm at each of `levels` the rhythm runs, in rounds taken in turns with the
 * baseline; and (b), the projection lag sampled at the top level.
 */
async function commandScenarios(phase: CommandPhase, rhythm: Rhythm, levels: number[]): Promise<Scenario[]> {
  const orderCounts = rhythm === 'person' ? phase.settings.personOrdersAt : phase.settings.ordersAt;
  const spacingMs = RHYTHMS[rhythm];
  const top = Math.max(...levels);
  const scenarios: Scenario[] = [];
  for (const concurrency of levels.filter((level) => level in orderCounts)) {
    const orders = orderCounts[concurrency];
    const level = { concurrency, orders, rounds: phase.settings.commandRounds, rhythm };
    say(
      `(a) commands at concurrency ${concurrency}${rhythm === 'person' ? ", a person's rhythm" : ''}: ${orders} orders × 4 commands over HTTP, in turns with the baseline …`,
    );
    const { ours, scenario } = await commandsInTurns(
      level,
      phase.components,
      {
        service: (count) => commandsOverHttp(phase.api, concurrency, count, phase.lagSampleEvery, spacingMs),
        baseline: (count) => commandsOnTemporalAlone(phase.client, phase.taskQueue, concurrency, count, spacingMs),
      },
      say,
    );
    const target = RATIO_TARGETS[concurrency];
    scenarios.push({ ...scenario, ...(target !== undefined ? { target: `≥ ${target}`, met: scenario.ratio! >= target } : {}) });
    if (concurrency === top && phase.lagSampleEvery !== Number.MAX_SAFE_INTEGER) {
      const lag = distribution(ours.lags);
      scenarios.push({
        name: `projection lag at ${scenario.name.replace('commands over HTTP, ', '')}`,
        unit: 'ms',
        count: lag.count,
        latencyMs: lag,
        target: 'p50 ≤ 150, p99 ≤ 1000',
        met: lag.p50 <= 150 && lag.p99 <= 1000 && ours.lagTimeouts === 0,
        ...(ours.lagTimeouts ? { note: `${ours.lagTimeouts} not visible within 10 s` } : {}),
      });
    }
  }
  return scenarios;
}

/** The levels of (a) to run: all of the size's, or those `--concurrency` names (each one of them). */
function concurrencyLevels(settings: Settings, chosen: string | undefined): number[] {
  const all = Object.keys(settings.ordersAt).map(Number);
  if (chosen === undefined) return all;
  const levels = chosen.split(',').map((level) => Number(level.trim()));
  if (levels.some((level) => !all.includes(level))) {
    throw new Error(`--concurrency takes levels of this size's (a), comma-separated: ${all.join(', ')} (got "${chosen}")`);
  }
  return [...new Set(levels)].sort((a, b) => a - b);
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const size: Size = process.argv.includes('--tiny') ? 'tiny' : process.argv.includes('--quick') ? 'quick' : 'full';
  const settings = SETTINGS[size];
  const outDir = argument('--out') ?? path.join(root, 'bench', 'results');
  const onlyGiven = argument('--only');
  const levelsGiven = argument('--concurrency');
  const levels = concurrencyLevels(settings, levelsGiven);
  const floor = argument('--floor');
  if (floor !== undefined && !isFloor(floor)) throw new Error(`--floor takes one of ${FLOORS.join(', ')} (got "${floor}")`);
  const rhythmGiven = argument('--rhythm');
  if (rhythmGiven !== undefined && !(rhythmGiven in RHYTHMS))
    throw new Error(`--rhythm takes one of ${Object.keys(RHYTHMS).join(', ')} (got "${rhythmGiven}")`);
  const rhythms = rhythmGiven === undefined ? (Object.keys(RHYTHMS) as Rhythm[]) : [rhythmGiven as Rhythm];
  // A run of some scenarios (or levels, or rhythms, or a floor variant) only does not replace the figures of the last complete one.
  const partial = onlyGiven !== undefined || levelsGiven !== undefined || floor !== undefined || rhythmGiven !== undefined;
  const only = new Set((onlyGiven ?? 'a,b,c,d,e').split(',').map((phase) => phase.trim()));
  const runs = (...phases: string[]) => phases.some((phase) => only.has(phase));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orders-bench-'));
  const port = await freePort();
  const temporalPort = await freePort();
  const benchPort = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const bench = `http://127.0.0.1:${benchPort}`;
  // A floor variant writes no read model to sample.
  const lagSampleEvery = floor ? Number.MAX_SAFE_INTEGER : settings.lagSampleEvery;
  const started = new Date();
  say(`order service benchmark (${size}) on ${os.cpus().length} cpus, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; data in ${dataDir}`);
  // Before anything else runs: compare these between runs before comparing their rates.
  const speed = measureMachineSpeed(dataDir);
  say(
    `machine speed now: JS loop ${speed.jsLoopMs} ms, system call ${speed.syscallMicros} µs, fresh page ${speed.pageMicros} µs, 4 KiB write + fsync ${speed.fsyncMs} ms`,
  );

  // --profile DIR: the service writes a V8 CPU profile there when it stops (open it in Chrome's DevTools).
  const profileDir = argument('--profile');
  const profiling = profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(profileDir)] : [];
  say("building the service (npm run build, as npm start does) and the benchmark's entry point …");
  // The benchmark's build first: it compiles the service's files too, which would make the
  // workflow bundle the service's build writes look stale, were it the other way round.
  execFileSync('npx', ['tsc', '-p', path.join('bench', 'tsconfig.json')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const bareBundle = path.join(dataDir, 'bare-workflow-bundle.js');
  if (floor === 'bare') fs.writeFileSync(bareBundle, (await bundleWorkflows(require.resolve('./floor/bareWorkflow'))).code);
  const service = new Background(process.execPath, [...profiling, path.join(root, 'dist', 'bench', 'service.js')], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      TEMPORAL_DEV_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(await freePort()),
      BENCH_PORT: String(benchPort),
      ...(floor ? { BENCH_FLOOR: floor, BENCH_WORKFLOW_BUNDLE: bareBundle } : {}),
      LOG_LEVEL: 'warn',
      CI: '1',
    },
  });
  let workflows: string | undefined;
  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let connection: Connection | undefined;
  try {
    say('starting the service (npm start) …');
    await untilReady(api, service, 180_000);
    useApiKey(fs.readFileSync(path.join(dataDir, 'api-key'), 'utf8').trim());
    // The compiled worker loads the bundle the build wrote; it warns when it had to bundle itself.
    workflows =
      floor === 'bare'
        ? 'bench/floor/bareWorkflow.ts, bundled by the bench'
        : /bundling the workflows now/.test(service.output)
          ? 'bundled as the worker started'
          : 'dist/workflow-bundle.js';
    const [temporal] = devServersUsing(devServerDbFile(dataDir));

    // The baseline worker runs here, on the same Temporal server as the service.
    const taskQueue = `bench-noop-${randomUUID().slice(0, 6)}`;
    const nativeConnection = await NativeConnection.connect({ address: `127.0.0.1:${temporalPort}` });
    worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowsPath: require.resolve('./noopWorkflow') });
    workerRun = worker.run().finally(() => nativeConnection.close());
    connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    const client = new Client({ connection });

    const scenarios: Scenario[] = [];
    const watch = new MemoryWatch({ service: service.child.pid!, ...(temporal ? { temporal } : {}) });
    watch.start();
    const phase: CommandPhase = { api, client, taskQueue, components: { service: service.child.pid!, temporal }, settings, lagSampleEvery };
    for (const rhythm of runs('a', 'b', 'e') ? rhythms : []) scenarios.push(...(await commandScenarios(phase, rhythm, levels)));
    const peaks = watch.stop();
    if (runs('a', 'b', 'e')) {
      const serviceMemory = memoryOf(service.child.pid!);
      const servicePeak = Math.max(peaks.get('service') ?? 0, serviceMemory.peak);
      scenarios.push({
        name: 'service peak RSS during (a)',
        unit: 'MiB',
        count: 1,
        throughput: servicePeak / 2 ** 20,
        target: '≤ 1024 MiB',
        met: servicePeak <= 2 ** 30,
      });
      if (temporal) {
        const temporalPeak = Math.max(peaks.get('temporal') ?? 0, memoryOf(temporal).peak);
        scenarios.push({ name: 'Temporal dev server peak RSS during (a)', unit: 'MiB', count: 1, throughput: temporalPeak / 2 ** 20 });
      }
    }
    if (runs('c')) {
      say(`(c) event ingestion: ${settings.ingestOrders} orders × 4 events, activity path vs bulk vs single rows …`);
      const ingest = (
        await json<IngestFigures>(bench, 'POST', '/ingest', {
          orders: settings.ingestOrders,
          singleRowSample: Math.min(500, settings.ingestOrders * 4),
        })
      ).body;
      const toFloor = ingest.activityEventsPerSecond / ingest.singleRowEventsPerSecond;
      const toCeiling = ingest.activityEventsPerSecond / ingest.bulkEventsPerSecond;
      scenarios.push({
        name: 'ingestion: activity path ÷ single-row inserts',
        unit: 'ev/s',
        count: ingest.events,
        throughput: ingest.activityEventsPerSecond,
        baseline: { name: `single-row inserts (${ingest.singleRowSample} rows)`, throughput: ingest.singleRowEventsPerSecond },
        ratio: toFloor,
        target: '≥ 20',
        met: toFloor >= 20,
        note: `${ingest.activityBatches} inserts; ${ingest.concurrency} deliveries at once (the worker's activity slots)`,
      });
      scenarios.push({
        name: 'ingestion: activity path ÷ one bulk insert',
        unit: 'ev/s',
        count: ingest.events,
        throughput: ingest.activityEventsPerSecond,
        baseline: { name: 'one bulk insert', throughput: ingest.bulkEventsPerSecond },
        ratio: toCeiling,
        target: '≥ 0.5',
        met: toCeiling >= 0.5,
        note: `medians of ${ingest.rounds} rounds, taken in turns: path ${ingest.activityRounds.map(Math.round).join(', ')} ev/s; bulk ${ingest.bulkRounds.map(Math.round).join(', ')} ev/s`,
      });
    }
    if (runs('d')) {
      say(`(d) generating ${settings.generatedOrders.toLocaleString('en')} orders into the event log …`);
      const year = 2025;
      const generation = await fetch(`${bench}/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ orders: settings.generatedOrders, year }),
      });
      let generatedMillis = 0;
      for await (const line of ndjsonLines(generation)) {
        if (line.error) throw new Error(`generation failed: ${String(line.error)}`);
        const progress = line.progress as { orders: number; total: number; millis: number } | undefined;
        if (progress)
          say(`    ${progress.orders.toLocaleString('en')} / ${progress.total.toLocaleString('en')} orders (${(progress.millis / 1000).toFixed(0)} s)`);
        if (line.merged) say(`    merged ${String(line.merged)}`);
        if (line.done) generatedMillis = (line.done as { millis: number }).millis;
      }
      scenarios.push({
        name: 'generate orders into the log and read models',
        unit: 'orders/s',
        count: settings.generatedOrders,
        throughput: settings.generatedOrders / (generatedMillis / 1000),
      });

      const plan = queryPlan(settings.generatedOrders, settings.queryIterations, year);
      // Each query over HTTP and in-process in turn, which goes first alternating, so that both
      // see the same caches and the same background merges.
      const inProcess = async (kind: QueryKind, parameter: QueryPlan[QueryKind][number]) => {
        const reply = await json<Partial<QueryTimings>>(bench, 'POST', '/direct', { [kind]: [parameter] });
        const millis = reply.body?.[kind]?.[0];
        if (reply.status !== 200 || millis === undefined) throw new Error(`in-process ${kind} answered ${reply.status}`);
        return millis;
      };
      const overHttp = async (kind: QueryKind, parameter: QueryPlan[QueryKind][number]) => {
        const t = performance.now();
        const reply = await json(api, 'GET', httpRoute(kind, parameter));
        if (reply.status !== 200) throw new Error(`${httpRoute(kind, parameter)} answered ${reply.status}`);
        return reply.at - t;
      };
      for (const kind of Object.keys(plan) as QueryKind[]) {
        say(`    timing ${QUERY_NAMES[kind]} over HTTP and in-process, ${plan[kind].length}× each …`);
        const [timings, direct] = await inTurns(
          plan[kind].length,
          (index) => overHttp(kind, plan[kind][index]),
          (index) => inProcess(kind, plan[kind][index]),
        );
        const viaHttp = distribution(timings);
        const baseline = distribution(direct);
        const ratio = viaHttp.p50 / baseline.p50;
        const target = QUERY_TARGETS[kind];
        scenarios.push({
          name: `query at ${(settings.generatedOrders / 1e6).toFixed(settings.generatedOrders < 1e6 ? 2 : 0)}M orders: ${QUERY_NAMES[kind]}`,
          unit: 'ms',
          count: viaHttp.count,
          latencyMs: viaHttp,
          baseline: { name: 'same query in-process, no HTTP', latencyMs: baseline },
          ratio,
          target: `p99 ${target ? `≤ ${target} ms, ` : ''}HTTP ÷ direct p50 ≤ 1.3`,
          met: (target === undefined || viaHttp.p99 <= target) && ratio <= 1.3,
        });
      }
    }
    printTable(scenarios);
    let commit = 'unknown';
    try {
      commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
    } catch {
      // not a git checkout
    }
    const result = {
      date: started.toISOString(),
      commit,
      // What reproduces these figures (not where they were written to).
      command: [
        'npm run bench',
        ...(size === 'full' && !partial ? [] : ['--']),
        ...(size === 'full' ? [] : [`--${size}`]),
        ...(onlyGiven !== undefined ? ['--only', [...only].join(',')] : []),
        ...(levelsGiven !== undefined ? ['--concurrency', levels.join(',')] : []),
        ...(rhythmGiven !== undefined ? ['--rhythm', rhythmGiven] : []),
        ...(floor ? ['--floor', floor] : []),
      ].join(' '),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        speed,
      },
      settings,
      service: { command: 'node dist/bench/service.js', workflows, ...(floor ? { floor } : {}) },
      scenarios,
    };
    fs.mkdirSync(outDir, { recursive: true });
    const stamp = started.toISOString().replace(/[:.]/g, '-');
    const part = `only-${[...only].join('')}${levelsGiven !== undefined ? `-c${levels.join('-')}` : ''}${rhythmGiven ? `-${rhythmGiven}` : ''}${floor ? `-floor-${floor}` : ''}`;
    const file = path.join(outDir, partial ? `${stamp}-${size}-${part}.json` : 'latest.json');
    fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    if (!partial) fs.writeFileSync(path.join(outDir, `${stamp}-${size}.json`), `${JSON.stringify(result, null, 2)}\n`);
    say(`\nwrote ${file}`);
  } catch (error) {
    if (service.exited)
      say(`\nthe service exited (${String(service.child.exitCode ?? service.child.signalCode)}); its last output:\n${service.output.slice(-6000)}`);
    throw error;
  } finally {
    worker?.shutdown();
    await workerRun?.catch(() => {});
    await connection?.close();
    await service.stop('SIGTERM', 60_000);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`benchmark failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
