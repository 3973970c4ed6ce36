/**
 * `npm run bench:cluster` (full), `-- --quick`, `-- --tiny` (a smoke run); `--out DIR` writes
 * elsewhere than bench/results/.
 *
 * Scenario (a) of `npm run bench` with the service scaled out on a Temporal cluster in the cluster
 * tier's production layout (test/support/temporalCluster.ts: frontend, history, matching and worker
 * services apart on PostgreSQL, installed by scripts/cluster/install.sh), two API processes and two
 * workers from the built entry points, and ClickHouse served over HTTP from chDB in a process of its
 * own: orders over HTTP, spread over both APIs, in turns with the no-op workflow baseline on the same
 * cluster. Besides the rates, it measures the CPU each component spends per command on each side,
 * from which docs/scaling.md's capacity model is built. Writes bench/results/cluster-latest.json
 * (full runs) and a dated copy.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { measureMachineSpeed } from './machineSpeed';
import { Scenario } from './stats';
import { projectRoot } from '../src/paths';
import { Background } from '../test/support/processes';
import { launchRole, serviceEnvironment } from '../test/support/serviceProcesses';
import { freePort, TEST_KEYS } from '../test/support/stack';
import { installClusterTools, locateTemporalCli, startTemporalCluster, TemporalCluster } from '../test/support/temporalCluster';
import { CommandsAtLevel, commandsInTurns, commandsOnTemporalAlone, commandsOverHttp, cpuSecondsOf, processTreeCpuSeconds, useApiKey } from './commands';

type Size = 'tiny' | 'quick' | 'full';

/** Orders (each four commands) per concurrency level, and the rounds each level is split into. */
const SIZES: Record<Size, { ordersAt: Record<number, number>; rounds: number }> = {
  tiny: { ordersAt: { 1: 5, 4: 10 }, rounds: 2 },
  quick: { ordersAt: { 1: 40, 16: 300, 64: 600 }, rounds: 2 },
  full: { ordersAt: { 1: 100, 16: 1000, 64: 2500 }, rounds: 4 },
};
/** The tier's and docker-compose.yml's replicas of each role. */
const REPLICAS = 2;
/** Every n-th acknowledged command is followed until the read model shows it. */
const LAG_SAMPLE_EVERY = 10;

const root = projectRoot();
const say = (message: string) => process.stdout.write(`${message}\n`);

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

/** ClickHouse over HTTP in its own process (bench/clickhouseProcess.ts). */
async function startClickHouse(dir: string): Promise<{ process: Background; url: string; user: string; password: string }> {
  const child = new Background(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'clickhouseProcess.ts'), dir], { cwd: root });
  const [line] = await child.waitFor(/^\{.*\}$/m, 60_000);
  return { process: child, ...(JSON.parse(line) as { url: string; user: string; password: string }) };
}

/** The processes whose CPU is measured, by component; each role's replicas summed. */
function components(cluster: TemporalCluster, apis: Background[], workers: Background[], clickhouse: Background) {
  const sum = (children: Background[]) => () => children.reduce((total, child) => total + cpuSecondsOf(child.child.pid!), 0);
  return {
    api: sum(apis),
    worker: sum(workers),
    'temporal frontend': cluster.services.frontend.child.pid,
    'temporal history': cluster.services.history.child.pid,
    'temporal matching': cluster.services.matching.child.pid,
    'temporal worker': cluster.services.worker.child.pid,
    // The postmaster and the backends it forks for each connection.
    postgresql: () => processTreeCpuSeconds(cluster.postgres.pid()!),
    clickhouse: clickhouse.child.pid,
  };
}

function printLevels(levels: CommandsAtLevel[]): void {
  const fmt = (value: number | undefined, digits = 1) => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits));
  say('\nconcurrency  cmd/s  baseline cmd/s  ratio  p50/p95/p99 ms');
  for (const { scenario } of levels) {
    const latency = scenario.latencyMs!;
    say(
      `${scenario.name.replace(/\D+/, '').padEnd(11)}  ${fmt(scenario.throughput, 0).padStart(5)}  ${fmt(scenario.baseline!.throughput, 0).padStart(14)}  ${fmt(scenario.ratio, 2).padStart(5)}  ${fmt(latency.p50)}/${fmt(latency.p95)}/${fmt(latency.p99)}`,
    );
  }
  for (const { scenario } of levels) {
    say(`\nCPU ms per command, ${scenario.name} (this service | no-op baseline):`);
    for (const [component, ms] of Object.entries(scenario.cpuMsPerCommand.service))
      say(`  ${component.padEnd(18)} ${fmt(ms, 2).padStart(7)} | ${fmt(scenario.cpuMsPerCommand.baseline[component], 2).padStart(7)}`);
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const size: Size = process.argv.includes('--tiny') ? 'tiny' : process.argv.includes('--quick') ? 'quick' : 'full';
  const settings = SIZES[size];
  const outDir = argument('--out') ?? path.join(root, 'bench', 'results');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orders-bench-cluster-'));
  const started = new Date();
  say(`order service benchmark on a Temporal cluster (${size}) on ${os.cpus().length} cpus, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; data in ${dataDir}`);
  const speed = measureMachineSpeed(dataDir);
  say(
    `machine speed now: JS loop ${speed.jsLoopMs} ms, system call ${speed.syscallMicros} µs, fresh page ${speed.pageMicros} µs, 4 KiB write + fsync ${speed.fsyncMs} ms`,
  );

  say('installing the cluster (scripts/cluster/install.sh) and building the service (npm run build) …');
  const tools = installClusterTools();
  const cli = locateTemporalCli(say);
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

  const stops: Array<() => Promise<void>> = [];
  try {
    say('starting the Temporal cluster (PostgreSQL, frontend, history, matching, worker) …');
    const cluster = await startTemporalCluster({ tools, temporalCli: cli, freePort });
    stops.push(() => cluster.stop());
    await cluster.createNamespace('default');
    const clickhouse = await startClickHouse(path.join(dataDir, 'clickhouse'));
    stops.push(() => clickhouse.process.stop());
    // At the default log level, as deployed: a command's log lines are part of what it costs.
    const env = serviceEnvironment(cluster.address, clickhouse, path.join(dataDir, 'process'));
    say(`starting ${REPLICAS} API processes and ${REPLICAS} workers …`);
    const apis: Background[] = [];
    const apiUrls: string[] = [];
    const workers: Background[] = [];
    stops.push(async () => {
      for (const child of [...apis, ...workers]) await child.stop('SIGTERM', 60_000);
    });
    for (let n = 0; n < REPLICAS; n += 1) {
      const port = await freePort();
      apis.push(await launchRole('api', { ...env, PORT: String(port) }, 'built'));
      apiUrls.push(`http://127.0.0.1:${port}`);
      workers.push(await launchRole('worker', env, 'built'));
    }
    useApiKey(TEST_KEYS.admin);
    let turn = 0;
    const nextApi = () => apiUrls[turn++ % apiUrls.length];

    // The baseline worker runs here, on the same cluster as the service.
    const taskQueue = `bench-noop-${randomUUID().slice(0, 6)}`;
    const nativeConnection = await NativeConnection.connect({ address: cluster.address });
    const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowsPath: require.resolve('./noopWorkflow') });
    const workerRun = worker.run().finally(() => nativeConnection.close());
    stops.push(async () => {
      worker.shutdown();
      await workerRun.catch(() => {});
    });
    const connection = await Connection.connect({ address: cluster.address });
    stops.push(() => connection.close());
    const client = new Client({ connection });

    const measured = components(cluster, apis, workers, clickhouse.process);
    const levels: CommandsAtLevel[] = [];
    for (const [concurrency, orders] of Object.entries(settings.ordersAt).map(([level, count]) => [Number(level), count])) {
      say(`(a) commands at concurrency ${concurrency}: ${orders} orders × 4 commands over HTTP, in turns with the baseline …`);
      levels.push(
        await commandsInTurns(
          { concurrency, orders, rounds: settings.rounds },
          measured,
          {
            service: (count) => commandsOverHttp(nextApi, concurrency, count, LAG_SAMPLE_EVERY),
            baseline: (count) => commandsOnTemporalAlone(client, taskQueue, concurrency, count),
          },
          say,
        ),
      );
    }
    printLevels(levels);

    let commit = 'unknown';
    try {
      commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
    } catch {
      // not a git checkout
    }
    const scenarios: Scenario[] = levels.map((level) => level.scenario);
    const result = {
      date: started.toISOString(),
      commit,
      command: `npm run bench:cluster${size === 'full' ? '' : ` -- --${size}`}`,
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, speed },
      topology: {
        temporal: `server ${path.basename(tools.temporalServerDir)}: frontend, history, matching and worker as separate processes, PostgreSQL ${path.basename(path.dirname(tools.postgresBinDir))}`,
        service: `${REPLICAS} × node dist/src/bin/startApi.js, ${REPLICAS} × node dist/src/bin/startWorker.js, LOG_LEVEL info`,
        clickhouse: 'chDB over HTTP in a process of its own (test/support/clickhouseHttp.ts)',
      },
      settings,
      scenarios,
    };
    fs.mkdirSync(outDir, { recursive: true });
    const text = `${JSON.stringify(result, null, 2)}\n`;
    fs.writeFileSync(path.join(outDir, `${started.toISOString().replace(/[:.]/g, '-')}-cluster-${size}.json`), text);
    if (size === 'full') fs.writeFileSync(path.join(outDir, 'cluster-latest.json'), text);
    say(`\nwrote the results to ${outDir}`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => say(`stopping failed: ${String(error)}`));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`benchmark failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
