/**
 * `npm run bench:cluster` end to end on a tiny size: it brings up its own cluster, runs scenario
 * (a) and its baseline, and writes a result file with every component's CPU per command. No figure
 * is asserted: performance is read from the benchmark on a quiet machine, never from a test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runScript } from '../support/processes';
import { tempDir } from '../support/stack';

const COMPONENTS = ['api', 'worker', 'temporal frontend', 'temporal history', 'temporal matching', 'temporal worker', 'postgresql', 'clickhouse', 'bench'];

it('runs (a) against its baseline on the cluster and writes the CPU each component spent per command', async () => {
  const out = tempDir('bench-cluster');
  try {
    const run = await runScript('bench/cluster.ts', {}, 600_000, ['--tiny', '--out', out]);
    expect({ code: run.code, stderr: run.stderr.slice(-2000) }).toMatchObject({ code: 0 });
    const [file] = fs.readdirSync(out).filter((name) => name.endsWith('-cluster-tiny.json'));
    const result = JSON.parse(fs.readFileSync(path.join(out, file), 'utf8'));
    expect(result.command).toBe('npm run bench:cluster -- --tiny');
    expect(result.topology.temporal).toMatch(/frontend, history, matching and worker as separate processes, PostgreSQL \d+/);
    expect(result.scenarios.map((scenario: { name: string }) => scenario.name)).toEqual([
      'commands over HTTP, concurrency 1',
      'commands over HTTP, concurrency 4',
    ]);
    for (const scenario of result.scenarios) {
      expect(scenario.count).toBe(scenario.name.endsWith(' 1') ? 20 : 40);
      expect(scenario.ratio).toBeGreaterThan(0);
      expect(Object.keys(scenario.cpuMsPerCommand.service)).toEqual(COMPONENTS);
      expect(Object.keys(scenario.cpuMsPerCommand.baseline)).toEqual(COMPONENTS);
      // The service's own processes and the cluster's did the work of its commands.
      for (const component of ['api', 'worker', 'temporal history', 'postgresql', 'clickhouse'])
        expect(scenario.cpuMsPerCommand.service[component]).toBeGreaterThan(0);
    }
    expect(run.stdout).toMatch(/CPU ms per command, commands over HTTP, concurrency 4 \(this service \| no-op baseline\):\n {2}api/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
