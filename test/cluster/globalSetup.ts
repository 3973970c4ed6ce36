/**
 * Runs once before the cluster tier: installs what a Temporal cluster on PostgreSQL needs
 * (scripts/cluster/install.sh: the Temporal server built from the Go module proxy, PostgreSQL),
 * finds the Temporal CLI operators create namespaces with, and builds the service, whose compiled
 * entry points the tier runs as a deployment would. Test files find the tools through the
 * environment it sets.
 */
import { spawnSync } from 'node:child_process';
import { projectRoot } from '../../src/paths';
import { installClusterTools, locateTemporalCli } from '../support/temporalCluster';

export default async function globalSetup(): Promise<void> {
  const say = (message: string) => process.stderr.write(`[setup] ${message}\n`);
  const started = Date.now();
  const tools = installClusterTools();
  process.env.TEMPORAL_SERVER_DIR = tools.temporalServerDir;
  process.env.POSTGRES_BIN_DIR = tools.postgresBinDir;
  say(`Temporal server in ${tools.temporalServerDir}, PostgreSQL in ${tools.postgresBinDir} (${((Date.now() - started) / 1000).toFixed(0)} s)`);

  process.env.TEMPORAL_CLI_PATH = locateTemporalCli(say);

  say('building the service (npm run build)');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: projectRoot(), stdio: 'inherit', timeout: 600_000 });
  if (build.status !== 0) throw new Error(`npm run build failed (${build.error?.message ?? `exit code ${build.status}`})`);
}
