/**
 * Schemathesis, the property-based OpenAPI tool of the conformance test, from PyPI at a pinned
 * version: installed by pip into the project's git-ignored .tools/ the first time it is needed,
 * so that a fresh clone gets it as it gets the Temporal CLI.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { toolsDir } from '../../src/paths';

/** The PyPI release the conformance test is run with. */
export const SCHEMATHESIS_VERSION = '4.32.5';

export interface Schemathesis {
  /** python3 and the path of its `st` script. */
  command: string[];
  /** PYTHONPATH: where pip put it. */
  env: Record<string, string>;
}

const installed = () => path.join(toolsDir(), `schemathesis-${SCHEMATHESIS_VERSION}`);

function found(dir: string): Schemathesis | undefined {
  const script = path.join(dir, 'bin', 'st');
  return fs.existsSync(script) ? { command: ['python3', script], env: { PYTHONPATH: dir } } : undefined;
}

/** The installed tool, installing it first if needed (pip into a staging folder, then moved into place whole). */
export function ensureSchemathesis(say: (message: string) => void): Schemathesis {
  const target = installed();
  const existing = found(target);
  if (existing) return existing;
  const staging = `${target}.partial-${process.pid}`;
  say(`installing schemathesis ${SCHEMATHESIS_VERSION} into ${path.relative(process.cwd(), target)} (python3 -m pip)`);
  fs.rmSync(staging, { recursive: true, force: true });
  const pip = spawnSync(
    'python3',
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--root-user-action=ignore',
      '--no-input',
      '--target',
      staging,
      `schemathesis==${SCHEMATHESIS_VERSION}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 },
  );
  if (pip.error || pip.status !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new Error(`pip could not install schemathesis==${SCHEMATHESIS_VERSION} (${pip.error?.message ?? `exit code ${pip.status}`})`);
  }
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(staging, target);
  return found(target)!;
}
