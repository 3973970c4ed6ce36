/**
 * Runs the Temporal dev server as a child process for the embedded default: SQLite file under the
 * data dir, Web UI, the order search attributes registered. A dev server left running by a run
 * that crashed (same SQLite file) is replaced; a Temporal server started by someone else on the
 * port is reused and left alone.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { TemporalBinary } from './temporalBinary';
import { TemporalBinaryNotFound } from './temporalBinary';
import { cliTypeName, ORDER_SEARCH_ATTRIBUTES } from './searchAttributes';

export interface DevServerOptions {
  binary: TemporalBinary;
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** Extra `--dynamic-config-value KEY=VALUE` pairs (tests lower the continue-as-new threshold). */
  dynamicConfig?: Record<string, string | number | boolean>;
  startTimeoutMs?: number;
  say: (message: string) => void;
}

export interface DevServer {
  address: string;
  /** The Web UI, when this process started the server (a reused one may have none). */
  uiUrl?: string;
  /** False when an already running server was reused; stop() then leaves it running. */
  startedHere: boolean;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
/** Starts tried when the dev server exits because a port was taken (see DevServerExited.portTaken). */
const START_ATTEMPTS = 3;

export function devServerDbFile(dataDir: string): string {
  return path.join(dataDir, 'temporal.sqlite');
}

function portIsOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Dev servers (of any process but this one) that use this SQLite file, found through /proc. */
export function devServersUsing(dbFile: string): number[] {
  if (!fs.existsSync('/proc')) return [];
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (args.includes('start-dev') && args.includes(dbFile)) pids.push(pid);
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function terminate(pid: number, graceMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    while (alive(pid)) await sleep(50);
  }
}

async function isTemporal(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 2000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

/** The dev server ended on its own while starting; `output` is what this launch wrote to its log. */
export class DevServerExited extends Error {
  constructor(
    readonly exit: string,
    readonly output: string,
  ) {
    super(`the Temporal dev server exited (${exit}) while starting; its log says:\n${startupReport(output)}`);
  }

  /** A port it was to listen on was taken: its own internal ports are picked at random as it starts. */
  get portTaken(): boolean {
    return /address already in use/i.test(this.output);
  }
}

/**
 * What to show of a failed start: all of a short log; of a long one (a Go panic prints a goroutine
 * dump after its reason) the lines that give the reason, then the end.
 */
export function startupReport(output: string, tailLines = 15): string {
  const lines = output.trimEnd().split('\n');
  if (lines.length <= tailLines + 10) return lines.join('\n');
  const head = lines.slice(0, -tailLines);
  const reasons = head.filter((line) => /panic|fatal|error|already in use/i.test(line)).slice(0, 5);
  const shown = reasons.length > 0 ? reasons : head.slice(0, 5);
  return [...shown, `… (${head.length - shown.length} more lines)`, ...lines.slice(-tailLines)].join('\n');
}

function readFrom(file: string, offset: number): string {
  try {
    return fs.readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

interface Launch {
  child: ChildProcess;
  /** Where this launch's output begins in the log, which every launch appends to. */
  logOffset: number;
}

async function waitUntilServing(address: string, launch: Launch, logFile: string, timeoutMs: number): Promise<void> {
  const { child } = launch;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new DevServerExited(String(child.exitCode ?? child.signalCode), readFrom(logFile, launch.logOffset));
    }
    if (await isTemporal(address)) return;
    await sleep(250);
  }
  throw new Error(`the Temporal dev server did not answer on ${address} within ${timeoutMs / 1000}s (log: ${logFile})`);
}

function devServerArgs(options: DevServerOptions, dbFile: string): string[] {
  const args = [
    'server',
    'start-dev',
    '--ip',
    HOST,
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--db-filename',
    dbFile,
    '--namespace',
    options.namespace,
    '--sqlite-pragma',
    'journal_mode=WAL',
    '--sqlite-pragma',
    'synchronous=NORMAL',
    '--log-level',
    'warn',
    // Commands racing on one order queue in its workflow (which answers each in a moment) rather
    // than being bounced with RESOURCE_EXHAUSTED past the default of 10 updates in flight.
    '--dynamic-config-value',
    'history.maxInFlightUpdates=500',
  ];
  for (const attribute of ORDER_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${attribute.name}=${cliTypeName(attribute)}`);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  return args;
}

/** Starts the SDK-managed dev server, the last resort when no CLI could be found or installed. */
async function startWithSdkDownload(options: DevServerOptions, dbFile: string): Promise<DevServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  let env;
  try {
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download', downloadDir: (options.binary as { downloadDir: string }).downloadDir },
        ip: HOST,
        port: options.port,
        ui: true,
        uiPort: options.uiPort,
        dbFilename: dbFile,
        namespace: options.namespace,
        searchAttributes: [...ORDER_SEARCH_ATTRIBUTES],
      },
    });
  } catch (error) {
    options.say(`  the SDK could not download the Temporal CLI: ${error instanceof Error ? error.message : String(error)}`);
    throw new TemporalBinaryNotFound();
  }
  return {
    address: `${HOST}:${options.port}`,
    uiUrl: `http://${HOST}:${options.uiPort}`,
    startedHere: true,
    stop: () => env.teardown(),
  };
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const { say } = options;
  const address = `${HOST}:${options.port}`;
  const uiUrl = `http://${HOST}:${options.uiPort}`;
  fs.mkdirSync(options.dataDir, { recursive: true });
  const dbFile = devServerDbFile(options.dataDir);

  for (const pid of devServersUsing(dbFile)) {
    say(`stopping the Temporal dev server left running by an earlier run (pid ${pid})`);
    await terminate(pid, 10_000);
  }
  if (await portIsOpen(options.port)) {
    if (await isTemporal(address)) {
      // Its namespace and search attributes are checked, as on any server, by the roles that use it.
      say(`reusing the Temporal server already listening on ${address} (not started here, so it will be left running)`);
      return { address, startedHere: false, stop: async () => {} };
    }
    throw new Error(`port ${options.port} is taken by something that is not a Temporal server; set TEMPORAL_DEV_PORT to a free port`);
  }
  if (options.binary.kind === 'sdk-download') return startWithSdkDownload(options, dbFile);

  const logFile = path.join(options.dataDir, 'temporal.log');
  say(`starting the Temporal dev server on ${address} (data: ${dbFile}, log: ${logFile})`);
  const launch = (): Launch => {
    const log = fs.openSync(logFile, 'a');
    const logOffset = fs.fstatSync(log).size;
    const child = spawn(options.binary.kind === 'path' ? options.binary.path : 'temporal', devServerArgs(options, dbFile), { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    return { child, logOffset };
  };
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let current: Launch;
  for (let attempt = 1; ; attempt += 1) {
    current = launch();
    try {
      await waitUntilServing(address, current, logFile, timeoutMs);
      break;
    } catch (error) {
      current.child.kill('SIGKILL');
      if (!(error instanceof DevServerExited && error.portTaken && attempt < START_ATTEMPTS)) throw error;
      say(`the Temporal dev server found a port taken as it started; starting it again (attempt ${attempt + 1} of ${START_ATTEMPTS})`);
      await sleep(500);
    }
  }
  let child = current.child;

  // Supervise: a dev server that dies (killed, out of memory) is started again on the same SQLite
  // file, so the service recovers by itself; callers see 503 UNAVAILABLE meanwhile.
  let stopping = false;
  let restarts = 0;
  const supervise = (current: ChildProcess) => {
    current.once('exit', (code, signal) => {
      if (stopping) return;
      const delay = Math.min(10_000, 500 * 2 ** Math.min(restarts, 5));
      restarts += 1;
      say(`the Temporal dev server exited (${code ?? signal}); starting it again in ${delay} ms`);
      setTimeout(() => {
        if (stopping) return;
        const relaunched = launch();
        child = relaunched.child;
        supervise(child);
        waitUntilServing(address, relaunched, logFile, timeoutMs).then(
          () => {
            restarts = 0;
            say(`the Temporal dev server is back on ${address}`);
          },
          (error: Error) => say(`the Temporal dev server did not come back: ${error.message}`),
        );
      }, delay).unref();
    });
  };
  supervise(child);

  return {
    address,
    uiUrl,
    startedHere: true,
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      // Killed outright if it has not stopped within 10 s; the timer goes when it has.
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
