import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../src/paths';

export const TSX = path.join(projectRoot(), 'node_modules', '.bin', 'tsx');

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a project script to completion under tsx, killing it if it overstays `timeoutMs`. */
export function runScript(script: string, env: Record<string, string>, timeoutMs = 120_000, args: string[] = []): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [path.join(projectRoot(), script), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running child whose output is collected; `stop()` ends it (and is safe to call twice). */
export class Background {
  readonly child: ChildProcess;
  output = '';

  constructor(command: string, args: string[], options: SpawnOptions) {
    this.child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk) => (this.output += chunk));
    this.child.stderr!.on('data', (chunk) => (this.output += chunk));
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Resolves when the output matches, rejects when the process exits first or time runs out. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const poll = () => {
        const match = this.output.match(pattern);
        if (match) return resolve(match);
        if (this.exited) return reject(new Error(`process exited (${this.child.exitCode ?? this.child.signalCode}) before ${pattern}:\n${this.output}`));
        if (Date.now() > deadline) return reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.output}`));
        setTimeout(poll, 100);
      };
      poll();
    });
  }

  waitForExit(timeoutMs: number): Promise<number | string | null> {
    if (this.exited) return Promise.resolve(this.child.exitCode ?? this.child.signalCode);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`process did not exit within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      this.child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve(code ?? signal);
      });
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<void> {
    if (this.exited) return;
    this.child.kill(signal);
    try {
      await this.waitForExit(timeoutMs);
    } catch {
      this.child.kill('SIGKILL');
      await this.waitForExit(5000);
    }
  }
}
