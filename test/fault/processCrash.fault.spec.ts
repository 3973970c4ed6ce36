/**
 * The embedded service (its own entry point, as `npm start` runs it) is killed with SIGKILL under a
 * steady stream of commands and started again with the same command: once with its dev server
 * left running, once with the whole process tree killed. Whatever it leaves behind (a dev server,
 * a bound port, chDB's lock files) never stops it coming back, and no acknowledged command is lost
 * or counted twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openClickHouse } from '../../src/clickhouse/client';
import { loadConfig } from '../../src/config';
import { projectRoot } from '../../src/paths';
import { devServerDbFile, devServersUsing } from '../../src/temporal/devServer';
import { useApiKey } from '../support/http';
import { CommandLoad, checkInvariants, expectNothingLostOrDoubled, logQueryThrough } from '../support/load';
import { Background } from '../support/processes';
import { freePort, TEST_KEYS, temporalCli, tempDir } from '../support/stack';

const SOAK = process.env.SOAK === '1';
const CRASHES = SOAK ? 10 : 2;
const START = path.join(projectRoot(), 'src', 'bin', 'start.ts');

let env: Record<string, string>;
let apiUrl: string;
let service: Background | undefined;

beforeAll(async () => {
  const port = await freePort();
  env = {
    ...(process.env as Record<string, string>),
    DATA_DIR: tempDir('crash'),
    PORT: String(port),
    TEMPORAL_DEV_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    TEMPORAL_CLI_PATH: temporalCli(),
    API_KEYS: `${TEST_KEYS.admin}:admin`,
    CI: '1',
  };
  apiUrl = `http://127.0.0.1:${port}`;
  useApiKey(apiUrl, TEST_KEYS.admin);
});

afterAll(async () => {
  await service?.stop('SIGKILL');
  for (const pid of devServersUsing(devServerDbFile(env.DATA_DIR))) process.kill(pid, 'SIGKILL');
  fs.rmSync(env.DATA_DIR, { recursive: true, force: true });
});

async function start(): Promise<void> {
  service = new Background(process.execPath, ['--import', 'tsx', START], { env, cwd: projectRoot() });
  await service.waitFor(/press Ctrl-C to stop/, 90_000);
}

/** SIGKILL the service; with `tree`, its dev server too, as a power cut or `kill -9 -<pgid>` would. */
async function crash(tree: boolean): Promise<void> {
  const devServers = devServersUsing(devServerDbFile(env.DATA_DIR));
  await service!.stop('SIGKILL');
  if (tree) for (const pid of devServers) process.kill(pid, 'SIGKILL');
}

it(
  'comes back after SIGKILL under load with every acknowledged command and nothing twice',
  async () => {
    await start();
    const load = new CommandLoad(() => apiUrl, { lanes: 8 }).start();
    try {
      await load.progress(30);
      for (let n = 0; n < CRASHES; n += 1) {
        await crash(n % 2 === 1);
        await start();
        await load.progress(30);
      }
    } finally {
      await load.stop();
    }

    const report = await checkInvariants(
      apiUrl,
      load.ledger,
      async (query, params) => {
        // The log is read from the embedded database itself, once the service has let go of it.
        if (service && !service.exited) await service.stop('SIGTERM', 60_000);
        const ch = await openClickHouse(loadConfig(env));
        try {
          return await logQueryThrough(ch.client)(query, params);
        } finally {
          await ch.close();
        }
      },
      { database: 'orders' },
    );
    expectNothingLostOrDoubled('embedded service SIGKILL', load.figures, report, CRASHES);
    expect(load.figures.resent).toBeGreaterThan(0);
  },
  SOAK ? 1_800_000 : 300_000,
);
