/**
 * The API and the worker as separate processes, started from their own entry points as
 * `npm run start:api` and `npm run start:worker` run them, against a shared Temporal and a
 * ClickHouse served over HTTP from chDB (`clickhouseHttp.ts`).
 */
import path from 'node:path';
import { projectRoot } from '../../src/paths';
import type { ClickHouseHttp } from './clickhouseHttp';
import { Background } from './processes';
import { TEST_KEYS } from './stack';

export type Role = 'api' | 'worker';

/**
 * `source`: under tsx, from src/bin (no build needed). `built`: the compiled entry points in dist/
 * that `npm run build` writes, as a deployment runs them.
 */
export type EntryPoints = 'source' | 'built';

/** The environment both roles share: where Temporal and ClickHouse are, the API keys, a data dir for neither. */
export function serviceEnvironment(
  temporalAddress: string,
  clickhouse: Pick<ClickHouseHttp, 'url' | 'user' | 'password'>,
  dataDir: string,
): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    TEMPORAL_ADDRESS: temporalAddress,
    CLICKHOUSE_URL: clickhouse.url,
    CLICKHOUSE_USER: clickhouse.user,
    CLICKHOUSE_PASSWORD: clickhouse.password,
    API_KEYS: `${TEST_KEYS.admin}:admin,${TEST_KEYS.read}:read`,
    DATA_DIR: dataDir,
    CI: '1',
  };
}

/** Starts one role with this environment and waits for its last start-up line; one that does not get there is stopped. */
export async function launchRole(role: Role, env: Record<string, string>, entryPoints: EntryPoints): Promise<Background> {
  const name = role === 'api' ? 'startApi' : 'startWorker';
  const root = projectRoot();
  const child =
    entryPoints === 'built'
      ? new Background(process.execPath, [path.join(root, 'dist', 'src', 'bin', `${name}.js`)], { env, cwd: root })
      : new Background(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'bin', `${name}.ts`)], { env, cwd: root });
  try {
    await child.waitFor(/press Ctrl-C to stop/, 90_000);
  } catch (error) {
    await child.stop('SIGKILL');
    throw error;
  }
  return child;
}
