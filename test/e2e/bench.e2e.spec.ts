/**
 * The benchmark suite runs end to end on a tiny size and writes a complete result file. No figure
 * is asserted: performance is read from `npm run bench`, never from a test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runScript } from '../support/processes';
import { tempDir } from '../support/stack';

/**
 * A tiny run's own bound, and every test's a little beyond it (so that the run's bound, which stops
 * the bench and says so, comes first): on a loaded machine a tiny run of every scenario, or of (a)
 * in both rhythms (a person's spaces an order's commands 4 s apart), outlasts jest's default.
 */
const RUN_MS = 300_000;
jest.setTimeout(RUN_MS + 30_000);

it('runs every scenario and writes latest.json with machine, commit, settings and figures', async () => {
  const out = tempDir('bench');
  try {
    const run = await runScript('bench/run.ts', {}, RUN_MS, ['--tiny', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('scenario');
    const result = JSON.parse(fs.readFileSync(path.join(out, 'latest.json'), 'utf8'));
    expect(result.machine).toEqual(expect.objectContaining({ cpus: expect.any(Number), memoryGiB: expect.any(Number) }));
    // The machine's speed at the time, to tell a slow hour from a slow change.
    for (const figure of ['jsLoopMs', 'syscallMicros', 'pageMicros', 'fsyncMs']) expect(result.machine.speed[figure]).toBeGreaterThan(0);
    expect(run.stdout).toMatch(/machine speed now: JS loop [\d.]+ ms/);
    expect(result.command).toBe('npm run bench -- --tiny');
    // Built and run as `npm start` does (through the benchmark's entry point): the compiled service,
    // its worker on the build's workflow bundle.
    expect(result.service).toEqual({ command: 'node dist/bench/service.js', workflows: 'dist/workflow-bundle.js' });
    const names: string[] = result.scenarios.map((scenario: { name: string }) => scenario.name);
    for (const expected of [
      /^commands over HTTP, concurrency \d+$/,
      /^projection lag at concurrency \d+$/,
      /^commands over HTTP, concurrency \d+, a person's rhythm$/,
      /^projection lag at concurrency \d+, a person's rhythm$/,
      /^service peak RSS/,
      /^ingestion: activity path ÷ single-row/,
      /^ingestion: activity path ÷ one bulk/,
      /order by id$/,
      /orders by customer$/,
      /first page by status$/,
      /statistics, one month$/,
      /statistics, one month, as of a past instant$/,
      /statistics, whole year$/,
    ]) {
      expect(names.some((name) => expected.test(name))).toBe(true);
    }
    // (a) takes turns with its baseline, round by round, and says how each round came out.
    const commandScenarios = result.scenarios.filter((scenario: { name: string }) => scenario.name.startsWith('commands over HTTP'));
    for (const scenario of commandScenarios) expect(scenario.note).toMatch(/^2 rounds in turns with the baseline, ratio by round [\d.]+, [\d.]+;/);
    expect(run.stdout).toMatch(/round 2 of 2, baseline: \d+ no-op workflows/);
    for (const scenario of result.scenarios) {
      expect(scenario.count).toBeGreaterThan(0);
      if (scenario.baseline) expect(scenario.ratio).toBeGreaterThan(0);
    }
    expect(fs.readdirSync(out).filter((file) => file.endsWith('-tiny.json'))).toHaveLength(1);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

it('runs (a) at the levels --concurrency names only, in the rhythm --rhythm names only, into a file of its own', async () => {
  const out = tempDir('bench-level');
  try {
    const run = await runScript('bench/run.ts', {}, RUN_MS, ['--tiny', '--only', 'a', '--concurrency', '4', '--rhythm', 'back-to-back', '--out', out]);
    expect(run.code).toBe(0);
    const files = fs.readdirSync(out);
    // A partial run leaves latest.json to complete runs.
    expect(files).toEqual([expect.stringMatching(/-tiny-only-a-c4-back-to-back\.json$/)]);
    const result = JSON.parse(fs.readFileSync(path.join(out, files[0]), 'utf8'));
    expect(result.command).toBe('npm run bench -- --tiny --only a --concurrency 4 --rhythm back-to-back');
    const levels = result.scenarios
      .filter((scenario: { name: string }) => scenario.name.startsWith('commands over HTTP'))
      .map((scenario: { name: string }) => scenario.name);
    expect(levels).toEqual(['commands over HTTP, concurrency 4']);
    expect(run.stdout).not.toContain('concurrency 1:');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

it("runs a floor variant through the service's seams, with no read model to sample", async () => {
  const out = tempDir('bench-floor');
  try {
    const run = await runScript('bench/run.ts', {}, RUN_MS, ['--tiny', '--only', 'a', '--concurrency', '4', '--floor', 'bare', '--out', out]);
    expect(run.code).toBe(0);
    const files = fs.readdirSync(out);
    expect(files).toEqual([expect.stringMatching(/-tiny-only-a-c4-floor-bare\.json$/)]);
    const result = JSON.parse(fs.readFileSync(path.join(out, files[0]), 'utf8'));
    expect(result.command).toBe('npm run bench -- --tiny --only a --concurrency 4 --floor bare');
    expect(result.service).toEqual({ command: 'node dist/bench/service.js', workflows: 'bench/floor/bareWorkflow.ts, bundled by the bench', floor: 'bare' });
    expect(result.scenarios.map((scenario: { name: string }) => scenario.name)).toEqual([
      'commands over HTTP, concurrency 4',
      "commands over HTTP, concurrency 4, a person's rhythm",
      'service peak RSS during (a)',
      'Temporal dev server peak RSS during (a)',
    ]);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

it('refuses a floor variant it does not know, before starting anything', async () => {
  const run = await runScript('bench/run.ts', {}, 60_000, ['--tiny', '--floor', 'nothing']);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('--floor takes one of no-append, bare (got "nothing")');
  expect(run.stdout).not.toContain('starting the service');
});

it('refuses a rhythm it does not know, before starting anything', async () => {
  const run = await runScript('bench/run.ts', {}, 60_000, ['--tiny', '--rhythm', 'hurried']);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('--rhythm takes one of back-to-back, person (got "hurried")');
  expect(run.stdout).not.toContain('starting the service');
});

it('refuses a --concurrency level that its size does not run, before starting anything', async () => {
  const run = await runScript('bench/run.ts', {}, 60_000, ['--tiny', '--concurrency', '64']);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain(`--concurrency takes levels of this size's (a), comma-separated: 1, 4 (got "64")`);
  expect(run.stdout).not.toContain('starting the service');
});

it('replays the recorded histories of current orders and prints the CPU each costs (npm run bench:replay)', async () => {
  const run = await runScript('bench/workflowReplay.ts', {}, 120_000, ['2']);
  expect(run.code).toBe(0);
  for (const name of ['receipted-lifecycle.json', 'settled-then-cancelled.json', 'signalled.json']) {
    expect(run.stdout).toMatch(new RegExp(`${name}: [\\d.]+, [\\d.]+, [\\d.]+ ms of CPU per order \\(3 rounds of 2 replays\\)`));
  }
});

it('refuses a replay count that is not a positive integer', async () => {
  const run = await runScript('bench/workflowReplay.ts', {}, 60_000, ['none']);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('replays per history must be a positive integer, got none');
});
