/**
 * Starting the real Temporal dev server when a port it needs is taken: it is tried again, and when
 * it cannot start, the error gives the reason from its log rather than the end of a stack dump.
 */
import fs from 'node:fs';
import net from 'node:net';
import { DevServer, DevServerOptions, startDevServer, startupReport } from '../../src/temporal/devServer';
import { freePort, temporalCli, tempDir } from '../support/stack';

const dirs: string[] = [];
const servers: DevServer[] = [];
const blockers: net.Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
  for (const blocker of blockers.splice(0)) await new Promise((resolve) => blocker.close(resolve));
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function occupy(port: number): Promise<net.Server> {
  const blocker = net.createServer();
  blockers.push(blocker);
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  return blocker;
}

async function options(said: string[]): Promise<DevServerOptions> {
  const dataDir = tempDir('devserver');
  dirs.push(dataDir);
  return {
    binary: { kind: 'path', path: temporalCli(), source: 'the test' },
    dataDir,
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    startTimeoutMs: 30_000,
    say: (message: string) => said.push(message),
  };
}

describe('the Temporal dev server as it starts', () => {
  it('starts again when a port it needed was taken, and serves once the port is free', async () => {
    const said: string[] = [];
    const opts = await options(said);
    const blocker = await occupy(opts.uiPort);
    const server = await startDevServer({
      ...opts,
      say: (message) => {
        said.push(message);
        // The port comes free while the first start is being retried.
        if (message.includes('starting it again')) blocker.close();
      },
    });
    servers.push(server);
    expect(said.filter((line) => line.includes('found a port taken'))).toHaveLength(1);
    const ui = await fetch(server.uiUrl!);
    expect(ui.status).toBe(200);
  });

  it('gives up after three starts and says which port and why', async () => {
    const said: string[] = [];
    const opts = await options(said);
    await occupy(opts.uiPort);
    await expect(startDevServer(opts)).rejects.toThrow(new RegExp(`can't set UI port ${opts.uiPort}: .*address already in use`));
    expect(said.filter((line) => line.includes('starting it again'))).toHaveLength(2);
    // Nothing is left running on the data directory.
    expect(
      await fetch(`http://127.0.0.1:${opts.port}`).then(
        () => 'answered',
        () => 'refused',
      ),
    ).toBe('refused');
  });
});

describe('startupReport', () => {
  it('keeps the reason of a long panic and the end of its dump', () => {
    const dump = Array.from({ length: 200 }, (_, i) => `\tgoroutine frame ${i}`);
    const log = ['{"level":"warn","msg":"starting"}', 'panic: listen tcp 127.0.0.1:40001: bind: address already in use', '', ...dump].join('\n');
    const report = startupReport(log);
    expect(report).toContain('panic: listen tcp 127.0.0.1:40001: bind: address already in use');
    expect(report).toContain('goroutine frame 199');
    expect(report).not.toContain('goroutine frame 100');
  });

  it('shows a short log whole', () => {
    expect(startupReport("Error: can't set UI port 1: in use\n")).toBe("Error: can't set UI port 1: in use");
  });
});
