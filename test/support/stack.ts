/**
 * The real components for integration tests: a Temporal dev server and a chDB directory of the
 * test file's own, free ports, and a workflow bundle built once per file.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Config, loadConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { Service, startService, StartOptions } from '../../src/service';
import { bundleWorkflows } from '../../src/temporal/worker';
import { useApiKey } from './http';
import { TEST_KEYS } from './keys';

/**
 * Ports for test servers come from a block of their own per jest worker, below the kernel's
 * ephemeral range (32768 and up here): a port the kernel handed out and took back can be handed
 * to another process before ours binds it, and the Temporal dev server picks its internal ports
 * that way as it starts. Each pick is checked free by listening on it.
 */
const PORT_BLOCK = 2000;
const portBlockStart = 20_000 + ((Number(process.env.JEST_WORKER_ID ?? 1) - 1) % 6) * PORT_BLOCK;
let nextPort = Math.floor(Math.random() * PORT_BLOCK);

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let tried = 0; tried < PORT_BLOCK; tried += 1) {
    const port = portBlockStart + (nextPort++ % PORT_BLOCK);
    if (await listenable(port)) return port;
  }
  throw new Error(`no free port in ${portBlockStart}–${portBlockStart + PORT_BLOCK - 1}`);
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `orders-${prefix}-`));
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow code bundled once per test file (bundling takes seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflows();
  return bundle;
}

/** The Temporal CLI that globalSetup found or installed. */
export function temporalCli(): string {
  const cli = process.env.TEMPORAL_CLI_PATH;
  if (!cli) throw new Error('globalSetup did not find a Temporal CLI');
  return cli;
}

export { TEST_KEYS };

export interface TestStack extends Omit<Service, 'stop'> {
  config: Config;
  apiUrl: string;
  /** Stops everything; the data directory is removed unless `keepData` (to start again on it). */
  stop(keepData?: boolean): Promise<void>;
}

export async function testConfig(overrides: Record<string, string> = {}): Promise<Config> {
  return loadConfig({
    DATA_DIR: tempDir('data'),
    PORT: '0',
    TEMPORAL_DEV_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    TEMPORAL_CLI_PATH: temporalCli(),
    API_KEYS: `${TEST_KEYS.admin}:admin,${TEST_KEYS.write}:write,${TEST_KEYS.read}:read`,
    ...overrides,
  });
}

/** Starts the whole service in this process, as `npm start` does, on its own ports and data. */
export async function startTestStack(options: StartOptions & { env?: Record<string, string>; config?: Config } = {}): Promise<TestStack> {
  const config = options.config ?? (await testConfig(options.env));
  const service = await startService(config, { api: true, worker: true }, silentLogger(), {
    say: () => {},
    ...options,
    seams: { workflowBundle: await workflowBundle(), ...options.seams },
  });
  useApiKey(service.apiUrl!, TEST_KEYS.admin);
  return {
    ...service,
    config,
    apiUrl: service.apiUrl!,
    async stop(keepData = false) {
      await service.stop();
      if (!keepData) fs.rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
