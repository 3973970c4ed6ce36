/**
 * Runs once before the suite: makes sure a Temporal CLI is available (installing the pinned one
 * into .tools/ if needed, exactly as `npm start` would), and schemathesis for the conformance test,
 * so test files only look them up; and, as root, installs Debian's Chromium for the dashboard test
 * if it is missing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { locateTemporalBinary } from '../../src/temporal/temporalBinary';
import { projectRoot, toolsDir } from '../../src/paths';
import { ensureSchemathesis } from './schemathesis';

export default async function globalSetup(): Promise<void> {
  const binary = locateTemporalBinary({
    cliPath: process.env.TEMPORAL_CLI_PATH,
    pathVariable: process.env.PATH,
    toolsDir: toolsDir(),
    allowSdkDownload: false,
    say: (message) => process.stderr.write(`[setup] ${message}\n`),
  });
  if (binary.kind === 'path') process.env.TEMPORAL_CLI_PATH = binary.path;
  try {
    ensureSchemathesis((message) => process.stderr.write(`[setup] ${message}\n`));
  } catch (error) {
    process.stderr.write(`[setup] ${(error as Error).message}; the conformance test will say so\n`);
  }

  if (!process.env.CHROMIUM_PATH && !fs.existsSync('/usr/bin/chromium') && process.getuid?.() === 0) {
    process.stderr.write('[setup] installing Debian chromium for the dashboard test (scripts/install-chromium.sh)\n');
    const installed = spawnSync(path.join(projectRoot(), 'scripts', 'install-chromium.sh'), { stdio: 'inherit', timeout: 600_000 });
    if (installed.status !== 0) process.stderr.write('[setup] chromium could not be installed; the dashboard test will say so\n');
  }
}
