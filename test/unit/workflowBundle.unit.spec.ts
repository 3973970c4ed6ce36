/**
 * A compiled worker loads the workflow bundle `npm run build` wrote, but never one older than the
 * compiled workflows: that would run stale workflow code.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtBundlePath, builtWorkflowBundle, workflowsPath } from '../../src/temporal/worker';

let dist: string;
let compiled: string;

beforeEach(() => {
  dist = fs.mkdtempSync(path.join(os.tmpdir(), 'dist-'));
  fs.mkdirSync(path.join(dist, 'workflows'));
  compiled = path.join(dist, 'workflows', 'index.js');
  fs.writeFileSync(compiled, '// compiled workflows');
});

afterEach(() => fs.rmSync(dist, { recursive: true, force: true }));

const touch = (file: string, secondsAgo: number) => {
  const when = new Date(Date.now() - secondsAgo * 1000);
  fs.utimesSync(file, when, when);
};

it('uses dist/workflow-bundle.js when it was written after the compiled workflows', () => {
  touch(compiled, 60);
  fs.writeFileSync(path.join(dist, 'workflow-bundle.js'), '// bundle');
  expect(builtWorkflowBundle(compiled)).toEqual({ codePath: path.join(dist, 'workflow-bundle.js') });
});

it('refuses a bundle older than the compiled workflows (tsc ran after it)', () => {
  fs.writeFileSync(path.join(dist, 'workflow-bundle.js'), '// bundle');
  touch(path.join(dist, 'workflow-bundle.js'), 60);
  expect(builtWorkflowBundle(compiled)).toBeUndefined();
});

it('bundles at start when there is no built bundle, or when running from source', () => {
  expect(builtWorkflowBundle(compiled)).toBeUndefined();
  // Under tsx (these tests, the dev loop) the workflows are TypeScript: nothing built is loaded,
  // even with a bundle where one would be.
  const source = path.join(dist, 'workflows', 'index.ts');
  fs.writeFileSync(source, '// workflows');
  fs.writeFileSync(builtBundlePath(source), '// bundle');
  expect(builtWorkflowBundle(source)).toBeUndefined();
  expect(workflowsPath()).toMatch(/\.ts$/);
  expect(builtWorkflowBundle()).toBeUndefined();
});
