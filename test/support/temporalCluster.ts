/**
 * A Temporal cluster in a production layout, on this machine: PostgreSQL on a private port and data
 * directory, Temporal's two schemas set up by its SQL tool, and the frontend, history, matching and
 * worker services as four server processes, each of which can be killed and started again.
 * `scripts/cluster/install.sh` builds or installs what it runs (the cluster tier's global setup and
 * the benchmark on a cluster call it through `installClusterTools`).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { projectRoot, toolsDir } from '../../src/paths';
import { locateTemporalBinary } from '../../src/temporal/temporalBinary';
import { Background } from './processes';

export type TemporalService = 'history' | 'matching' | 'frontend' | 'worker';
/** The order they start in: the first creates the cluster's metadata, which two at once would race to do. */
const SERVICES: TemporalService[] = ['history', 'matching', 'frontend', 'worker'];

export interface ClusterTools {
  /** bin/server, bin/sql and schema/postgresql/v12 of the pinned Temporal server. */
  temporalServerDir: string;
  /** initdb, pg_ctl and pg_isready. */
  postgresBinDir: string;
}

/** Runs scripts/cluster/install.sh, which builds or installs only what is missing, and says where the tools are. */
export function installClusterTools(): ClusterTools {
  const script = path.join(projectRoot(), 'scripts', 'cluster', 'install.sh');
  const result = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
  if (result.status !== 0) throw new Error(`${script} failed (${result.error?.message ?? `exit code ${result.status}`})`);
  const line = (name: string) => {
    const value = new RegExp(`^${name}=(.+)$`, 'm').exec(result.stdout)?.[1];
    if (!value) throw new Error(`${script} did not say ${name}:\n${result.stdout}`);
    return value;
  };
  return { temporalServerDir: line('TEMPORAL_SERVER_DIR'), postgresBinDir: line('POSTGRES_BIN_DIR') };
}

/** The Temporal CLI, which operators create namespaces with: found or installed as `npm start` does. */
export function locateTemporalCli(say: (message: string) => void): string {
  const cli = locateTemporalBinary({
    cliPath: process.env.TEMPORAL_CLI_PATH,
    pathVariable: process.env.PATH,
    toolsDir: toolsDir(),
    allowSdkDownload: false,
    say,
  });
  if (cli.kind !== 'path') throw new Error('no Temporal CLI to create namespaces with');
  return cli.path;
}

/** PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

function runOrThrow(command: string, args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): string {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    timeout: options.timeoutMs ?? 120_000,
  });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(500, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, explain: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s${explain() ? `:\n${explain()}` : ''}`);
    await sleep(200);
  }
}

/** PostgreSQL as Temporal's store, with the pg_ctl an operator would use to stop and start it. */
class Postgres {
  readonly user = 'temporal';
  readonly password = randomUUID();
  private readonly dataDir: string;
  private readonly socketDir: string;
  private readonly logFile: string;

  constructor(
    private readonly binDir: string,
    dir: string,
    readonly port: number,
  ) {
    this.dataDir = path.join(dir, 'postgres');
    this.socketDir = path.join(dir, 'postgres-socket');
    this.logFile = path.join(dir, 'postgres.log');
  }

  initialize(): void {
    const passwordFile = path.join(path.dirname(this.dataDir), 'postgres-password');
    fs.writeFileSync(passwordFile, this.password, { mode: 0o644 });
    for (const dir of [this.dataDir, this.socketDir]) fs.mkdirSync(dir, { mode: 0o700 });
    fs.writeFileSync(this.logFile, '', { mode: 0o666 });
    if (process.getuid?.() === 0) runOrThrow('chown', ['postgres:postgres', this.dataDir, this.socketDir, this.logFile]);
    runOrThrow(
      ...asPostgres(path.join(this.binDir, 'initdb'), [
        '--pgdata',
        this.dataDir,
        '--username',
        this.user,
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
      ]),
    );
    fs.rmSync(passwordFile);
  }

  start(): void {
    // Temporal's four services keep up to 22 connections each; the default of 100 is too close.
    const options = `-p ${this.port} -h 127.0.0.1 -k ${this.socketDir} -c max_connections=300`;
    runOrThrow(
      ...asPostgres(path.join(this.binDir, 'pg_ctl'), [
        'start',
        '--pgdata',
        this.dataDir,
        '--log',
        this.logFile,
        '--options',
        options,
        '--wait',
        '--timeout',
        '60',
      ]),
    );
  }

  /** `fast`: what an operator's restart does (clients are disconnected, nothing acknowledged is lost). */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    if (!fs.existsSync(path.join(this.dataDir, 'postmaster.pid'))) return;
    runOrThrow(...asPostgres(path.join(this.binDir, 'pg_ctl'), ['stop', '--pgdata', this.dataDir, '--mode', mode, '--wait', '--timeout', '60']));
  }

  /** The postmaster's process id, for measuring its CPU (its backends are children it forks). */
  pid(): number | undefined {
    try {
      return Number(fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  }
}

export interface TemporalCluster {
  /** The frontend's gRPC address, what TEMPORAL_ADDRESS points at. */
  address: string;
  /** Each service's current process. */
  services: Record<TemporalService, Background>;
  postgres: { port: number; pid(): number | undefined };
  /** SIGKILLs one service process; `start` brings it back on the same ports and store. */
  kill(service: TemporalService): Promise<void>;
  start(service: TemporalService): Promise<void>;
  /** Stops PostgreSQL as an operator would (pg_ctl, fast shutdown) under the running cluster; `startPostgres` brings it back. */
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  /** `temporal operator namespace create`, then waits until every service serves it. */
  createNamespace(namespace: string): Promise<void>;
  /** A frontend that authorizes callers by JWT (signed by `jwksUrl`'s keys), beside the open one. */
  startRestrictedFrontend(jwksUrl: string): Promise<{ address: string; stop(): Promise<void> }>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  tools: ClusterTools;
  /** The `temporal` CLI, which creates namespaces as an operator does. */
  temporalCli: string;
  /** Free ports below 32768 (Temporal stores membership ports as SQL smallint). */
  freePort(): Promise<number>;
}

/** The dynamic config a cluster running the order service needs, which docker-compose.yml mounts too. */
export const DYNAMIC_CONFIG_FILE = path.join(projectRoot(), 'deploy', 'temporal', 'dynamicconfig.yaml');

export async function startTemporalCluster(options: ClusterOptions): Promise<TemporalCluster> {
  const { tools } = options;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orders-cluster-'));
  // PostgreSQL runs as its own user, which must reach its folders inside this one.
  fs.chmodSync(dir, 0o755);
  const postgres = new Postgres(tools.postgresBinDir, dir, await options.freePort());
  const ports = {
    frontend: { grpcPort: await options.freePort(), membershipPort: await options.freePort(), httpPort: await options.freePort() },
    history: { grpcPort: await options.freePort(), membershipPort: await options.freePort() },
    matching: { grpcPort: await options.freePort(), membershipPort: await options.freePort() },
    worker: { grpcPort: await options.freePort(), membershipPort: await options.freePort() },
  };
  const address = `127.0.0.1:${ports.frontend.grpcPort}`;
  const services = {} as Record<TemporalService, Background>;
  const restrictedFrontends: Background[] = [];

  const datastore = (database: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: `127.0.0.1:${postgres.port}`,
      connectProtocol: 'tcp',
      user: postgres.user,
      password: postgres.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const config = (frontend: typeof ports.frontend, authorization?: Record<string, unknown>) => ({
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: 4,
      datastores: { default: datastore('temporal', 20), visibility: datastore('temporal_visibility', 4) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' }, ...(authorization ? { authorization } : {}) },
    services: Object.fromEntries(Object.entries({ ...ports, frontend }).map(([name, rpc]) => [name, { rpc: { ...rpc, bindOnLocalHost: true } }])),
    // Internal callers (the worker service's system workflows) use the open frontend.
    publicClient: { hostPort: address },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: address } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    // Read relative to the server's working directory, the cluster's folder.
    dynamicConfigClient: { filepath: 'config/dynamicconfig/cluster.yaml', pollInterval: '10s' },
  });
  fs.mkdirSync(path.join(dir, 'config', 'dynamicconfig'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config', 'cluster.yaml'), stringify(config(ports.frontend)));
  fs.copyFileSync(DYNAMIC_CONFIG_FILE, path.join(dir, 'config', 'dynamicconfig', 'cluster.yaml'));

  const server = path.join(tools.temporalServerDir, 'bin', 'server');
  const launch = (service: TemporalService, environment = 'cluster') =>
    new Background(
      server,
      ['--root', dir, '--config', 'config', '--env', environment, ...(environment === 'cluster' ? ['--allow-no-auth'] : []), 'start', '--service', service],
      {
        cwd: dir,
      },
    );
  const startService = async (service: TemporalService) => {
    const child = launch(service);
    services[service] = child;
    // The worker service serves no gRPC of its own; it is up once it has joined the membership ring.
    const port = service === 'worker' ? ports.worker.membershipPort : ports[service].grpcPort;
    await until(
      `the Temporal ${service} service listening on ${port}`,
      async () => {
        if (child.exited) throw new Error(`the Temporal ${service} service exited while starting:\n${child.output}`);
        return listening(port);
      },
      60_000,
    );
  };

  const sql = (database: string, ...args: string[]) =>
    runOrThrow(path.join(tools.temporalServerDir, 'bin', 'sql'), ['--database', database, ...args], {
      env: { SQL_PLUGIN: 'postgres12', SQL_HOST: '127.0.0.1', SQL_PORT: String(postgres.port), SQL_USER: postgres.user, SQL_PASSWORD: postgres.password },
    });

  const withClient = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
    const connection = await Connection.connect({ address, connectTimeout: 5000 });
    try {
      return await fn(new Client({ connection }));
    } finally {
      await connection.close();
    }
  };

  const cluster: TemporalCluster = {
    address,
    services,
    postgres,
    async kill(service) {
      await services[service].stop('SIGKILL');
    },
    start: startService,
    async stopPostgres() {
      postgres.stop('fast');
    },
    async startPostgres() {
      postgres.start();
    },
    async createNamespace(namespace) {
      runOrThrow(options.temporalCli, ['operator', 'namespace', 'create', '--address', address, '--namespace', namespace]);
      // Every service learns of a new namespace when its namespace cache next refreshes (10 s by
      // default): a start goes through the frontend and the history service, and succeeds once both know it.
      await withClient(async (client) => {
        const workflowId = `namespace-probe-${randomUUID()}`;
        await until(
          `the namespace ${namespace} served`,
          () =>
            client.workflowService
              .startWorkflowExecution({
                namespace,
                workflowId,
                workflowType: { name: 'namespaceProbe' },
                taskQueue: { name: 'namespace-probe' },
                requestId: workflowId,
              })
              .then(
                () => true,
                () => false,
              ),
          60_000,
        );
        await client.workflowService.terminateWorkflowExecution({
          namespace,
          workflowExecution: { workflowId },
          reason: 'only a probe that the namespace is served',
        });
      });
    },
    async startRestrictedFrontend(jwksUrl) {
      const frontend = { grpcPort: await options.freePort(), membershipPort: await options.freePort(), httpPort: await options.freePort() };
      const authorization = {
        jwtKeyProvider: { keySourceURIs: [jwksUrl], refreshInterval: '1m' },
        permissionsClaimName: 'permissions',
        authorizer: 'default',
        claimMapper: 'default',
      };
      fs.writeFileSync(path.join(dir, 'config', 'restricted.yaml'), stringify(config(frontend, authorization)));
      const child = launch('frontend', 'restricted');
      restrictedFrontends.push(child);
      await until(
        `the restricted frontend listening on ${frontend.grpcPort}`,
        () => listening(frontend.grpcPort),
        60_000,
        () => child.output,
      );
      return { address: `127.0.0.1:${frontend.grpcPort}`, stop: () => child.stop('SIGTERM') };
    },
    async stop() {
      for (const child of [...restrictedFrontends, ...[...SERVICES].reverse().map((service) => services[service])]) await child?.stop('SIGTERM', 15_000);
      postgres.stop('immediate');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    postgres.initialize();
    postgres.start();
    for (const [database, schema] of [
      ['temporal', 'temporal'],
      ['temporal_visibility', 'visibility'],
    ]) {
      sql(database, 'create-database');
      sql(database, 'setup-schema', '-v', '0.0');
      sql(database, 'update-schema', '-d', path.join(tools.temporalServerDir, 'schema', 'postgresql', 'v12', schema, 'versioned'));
    }
    for (const service of SERVICES) await startService(service);
    await until(
      'the Temporal cluster serving its system namespace',
      () =>
        withClient((client) => client.workflowService.describeNamespace({ namespace: 'temporal-system' })).then(
          () => true,
          () => false,
        ),
      60_000,
      () => SERVICES.map((service) => `${service}: ${services[service].output.slice(-2000)}`).join('\n'),
    );
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
