/**
 * Runs once before the suite: makes sure a Temporal CLI is available (installing the pinned one
 * into .tools/ if needed, exactly as `npm start` would), so test files only look it up; and, as
 * root, installs Debian's Chromium for the dashboard test if it is missing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { locateTemporalBinary } from '../../src/temporal/temporalBinary';
import { projectRoot, toolsDir } from '../../src/paths';

export default async function globalSetup(): Promise<void> {
  const binary = locateTemporalBinary({
    cliPath: process.env.TEMPORAL_CLI_PATH,
    pathVariable: process.env.PATH,
    toolsDir: toolsDir(),
    allowSdkDownload: false,
    say: (message) => process.stderr.write(`[setup] ${message}\n`),
  });
  if (binary.kind === 'path') process.env.TEMPORAL_CLI_PATH = binary.path;

  if (!process.env.CHROMIUM_PATH && !fs.existsSync('/usr/bin/chromium') && process.getuid?.() === 0) {
    process.stderr.write('[setup] installing Debian chromium for the dashboard test (scripts/install-chromium.sh)\n');
    const installed = spawnSync(path.join(projectRoot(), 'scripts', 'install-chromium.sh'), { stdio: 'inherit', timeout: 600_000 });
    if (installed.status !== 0) process.stderr.write('[setup] chromium could not be installed; the dashboard test will say so\n');
  }
}
