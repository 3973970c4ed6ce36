/**
 * The service's own entry point run as a person runs it (`npm start` runs the same file, built):
 * what it prints, what it starts and stops, and that it comes back after a clean stop, after a
 * crash that leaves its dev server behind, and next to a Temporal server it did not start.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { projectRoot } from '../../src/paths';
import { devServerDbFile, devServersUsing } from '../../src/temporal/devServer';
import { call, useApiKey } from '../support/http';
import { Background } from '../support/processes';
import { eventually, freePort, temporalCli, tempDir } from '../support/stack';

const START = path.join(projectRoot(), 'src', 'bin', 'start.ts');

let dataDir: string;
let env: Record<string, string>;
let api: string;
let uiPort: number;
const started: Background[] = [];

beforeAll(async () => {
  dataDir = tempDir('startup');
  const port = await freePort();
  uiPort = await freePort();
  env = {
    ...(process.env as Record<string, string>),
    DATA_DIR: dataDir,
    PORT: String(port),
    TEMPORAL_DEV_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(uiPort),
    TEMPORAL_CLI_PATH: temporalCli(),
    CI: '1',
  };
  api = `http://127.0.0.1:${port}`;
});

afterEach(async () => {
  for (const child of started.splice(0)) await child.stop('SIGKILL');
  // A test that failed before its service stopped leaves that service's dev server behind (a crash
  // does, by design): the next test must not find it.
  for (const pid of devServersUsing(devServerDbFile(dataDir))) process.kill(pid, 'SIGKILL');
});

const otherDirs: string[] = [];

afterAll(() => {
  for (const pid of devServersUsing(devServerDbFile(dataDir))) process.kill(pid, 'SIGKILL');
  for (const dir of [dataDir, ...otherDirs]) fs.rmSync(dir, { recursive: true, force: true });
});

/** One process, as `node dist/src/bin/start.js` is: tsx is loaded into node, not run as a wrapper. */
function startService(extraEnv: Record<string, string> = {}): Background {
  const service = new Background(process.execPath, ['--import', 'tsx', START], { env: { ...env, ...extraEnv }, cwd: projectRoot() });
  started.push(service);
  return service;
}

/** After a start: the key the service generated into its data directory, used by `call`. */
function useGeneratedKey(): string {
  const key = fs.readFileSync(path.join(dataDir, 'api-key'), 'utf8').trim();
  useApiKey(api, key);
  return key;
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`nothing listens on ${port} after 30 s`);
}

const order = (orderId: string) => ({ orderId, customerId: 'customer-1', items: [{ productId: 'p', quantity: 1, price: 12.5 }] });

describe('starting the service', () => {
  it('starts the dev server, the Web UI, the worker and the API, and says where they are', async () => {
    const service = startService();
    // The last line of start-up: every earlier one has been printed by then.
    await service.waitFor(/press Ctrl-C to stop/, 90_000);
    expect(service.output).toMatch(/API ready at http:\/\/localhost:\d+/);
    expect(service.output).toContain(`Temporal Web UI at http://localhost:${uiPort}`);
    expect(service.output).toContain('using the Temporal CLI from TEMPORAL_CLI_PATH');
    expect(service.output).toContain('starting the Temporal dev server');
    const key = useGeneratedKey();
    expect(service.output).toContain(`API key (admin, generated into ${path.join(dataDir, 'api-key')}): ${key}`);
    expect(fs.statSync(path.join(dataDir, 'api-key')).mode & 0o777).toBe(0o600);
    expect((await call(api, 'GET', '/orders', { headers: { authorization: '' } })).status).toBe(401);
    const ui = await fetch(`http://127.0.0.1:${uiPort}/`, { signal: AbortSignal.timeout(10_000) });
    expect(ui.status).toBe(200);
    expect((await call(api, 'POST', '/orders', { json: order('kept-1') })).status).toBe(201);
    expect(devServersUsing(devServerDbFile(dataDir))).toHaveLength(1);

    await service.stop('SIGTERM');
    expect(service.child.exitCode).toBe(0);
    expect(service.output).toContain('stopped');
    expect(devServersUsing(devServerDbFile(dataDir))).toEqual([]);
  });

  it('keeps every order, and the same key, across a restart', async () => {
    const service = startService();
    await service.waitFor(/press Ctrl-C to stop/, 90_000);
    expect(service.output).toContain(`API key (admin, kept in ${path.join(dataDir, 'api-key')})`);
    expect((await call(api, 'GET', '/orders/kept-1')).body).toMatchObject({ orderId: 'kept-1', total: 12.5 });
    expect((await call(api, 'GET', '/orders/kept-1?consistency=strong')).body).toMatchObject({ orderId: 'kept-1', status: 'PENDING' });
    expect((await call(api, 'POST', '/orders/kept-1/status', { json: { status: 'CONFIRMED' } })).status).toBe(200);
    // Ctrl-C under `npm start`: the terminal's SIGINT and npm's forwarded one, together. It stops
    // gracefully all the same, rather than taking the second as a demand to exit at once.
    service.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 100));
    service.child.kill('SIGINT');
    expect(await service.waitForExit(30_000)).toBe(0);
    expect(service.output).toContain('stopped');
    expect(service.output).not.toContain('exiting now');
  });

  it('refuses a second instance on the same data directory and leaves the first one serving', async () => {
    const first = startService();
    await first.waitFor(/press Ctrl-C to stop/, 90_000);
    const second = startService({ PORT: String(await freePort()) });
    expect(await second.waitForExit(30_000)).toBe(1);
    expect(second.output).toContain(`another instance of the service (pid ${first.child.pid}) is running on ${dataDir}`);
    expect((await call(api, 'GET', '/orders/kept-1?consistency=strong')).status).toBe(200);
    await first.stop('SIGTERM');
  });

  it('comes back after a crash that left its dev server running, with nothing lost', async () => {
    const crashed = startService();
    await crashed.waitFor(/press Ctrl-C to stop/, 90_000);
    expect((await call(api, 'POST', '/orders', { json: order('kept-2') })).status).toBe(201);
    await crashed.stop('SIGKILL');
    const orphans = devServersUsing(devServerDbFile(dataDir));
    expect(orphans).toHaveLength(1);

    const service = startService();
    await service.waitFor(/press Ctrl-C to stop/, 90_000);
    expect(service.output).toContain(`left running by an earlier run (pid ${orphans[0]})`);
    expect((await call(api, 'GET', '/orders/kept-1?minVersion=2')).body).toMatchObject({ status: 'CONFIRMED', version: 2 });
    // Its append may have died with the process: the activity is retried once its 10 s timeout passes.
    const kept = await eventually(
      async () => {
        const reply = await call(api, 'GET', '/orders/kept-2?minVersion=1');
        return reply.status === 200 ? reply.body : undefined;
      },
      60_000,
      'kept-2 in the read model',
    );
    expect(kept).toMatchObject({ orderId: 'kept-2', version: 1 });
    await service.stop('SIGTERM');
    expect(devServersUsing(devServerDbFile(dataDir))).toEqual([]);
  });

  it('reuses a Temporal server that someone else started on the port, and leaves it running', async () => {
    const otherDir = tempDir('other-temporal');
    otherDirs.push(otherDir);
    const otherDb = path.join(otherDir, 'other.sqlite');
    const other = new Background(
      temporalCli(),
      ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', env.TEMPORAL_DEV_PORT, '--db-filename', otherDb],
      {},
    );
    started.push(other);
    // Listening before the service looks: otherwise, on a loaded machine, the service finds the port
    // free and starts its own.
    await waitForPort(Number(env.TEMPORAL_DEV_PORT));
    const service = startService();
    await service.waitFor(/press Ctrl-C to stop/, 90_000);
    expect(service.output).toContain('reusing the Temporal server already listening');
    const created = await call(api, 'POST', '/orders', { json: order('on-their-server') });
    expect(created.status).toBe(201);
    await service.stop('SIGTERM');
    expect(other.exited).toBe(false);
  });

  it('with TEMPORAL_ADDRESS set, uses that server and starts no dev server of its own', async () => {
    const otherDir = tempDir('given-temporal');
    otherDirs.push(otherDir);
    const givenPort = await freePort();
    const given = new Background(
      temporalCli(),
      [
        'server',
        'start-dev',
        '--headless',
        '--ip',
        '127.0.0.1',
        '--port',
        String(givenPort),
        '--db-filename',
        path.join(otherDir, 'given.sqlite'),
        '--search-attribute',
        'OrderStatus=Keyword',
        '--search-attribute',
        'CustomerId=Keyword',
        '--search-attribute',
        'OrderTotal=Double',
      ],
      {},
    );
    started.push(given);
    await waitForPort(givenPort);
    const service = startService({ TEMPORAL_ADDRESS: `127.0.0.1:${givenPort}` });
    await service.waitFor(/press Ctrl-C to stop/, 90_000);
    expect(service.output).not.toContain('starting the Temporal dev server');
    expect(service.output).not.toContain('Temporal Web UI');
    expect(devServersUsing(devServerDbFile(dataDir))).toEqual([]);
    expect((await call(api, 'POST', '/orders', { json: order('on-given-server') })).status).toBe(201);
    await service.stop('SIGTERM');
    expect(given.exited).toBe(false);
  });

  it('refuses a bad configuration with one line per bad value', async () => {
    const service = startService({ PORT: 'eighty', TEMPORAL_DEV_PORT: '70000' });
    expect(await service.waitForExit(30_000)).toBe(2);
    expect(service.output).toContain('PORT="eighty": must be a port number');
    expect(service.output).toContain('TEMPORAL_DEV_PORT="70000": must be a port number');
  });
});
