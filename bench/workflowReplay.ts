/**
 * What the worker spends on an order's workflow code, without a Temporal server or ClickHouse:
 * replays the recorded histories of current orders (test/fixtures/histories) many times
 * through the SDK's replayer, which runs the same bundle, activations and workflow thread as a live
 * worker, and prints the process's CPU per order. Deterministic input, so it tells a change to the
 * workflow code from the machine's noise far better than a load does.
 *
 * Usage: npm run bench:replay -- [replays per history, default 200]
 */
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { bundleWorkflows } from '../src/temporal/worker';

const FIXTURES = path.join(__dirname, '..', 'test', 'fixtures', 'histories');
const ROUNDS = 3;

async function main(): Promise<void> {
  const replays = Number(process.argv[2] ?? 200);
  if (!Number.isInteger(replays) || replays < 1) throw new Error(`replays per history must be a positive integer, got ${process.argv[2]}`);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  console.log('bundling the workflows …');
  const options = { workflowBundle: await bundleWorkflows() };
  for (const name of fs
    .readdirSync(FIXTURES)
    .filter((file) => file.endsWith('.json'))
    .sort()) {
    const history: unknown = JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
    const replay = async (count: number) => {
      const histories = Array.from({ length: count }, (_, index) => ({ workflowId: `replay-${index}`, history }));
      for await (const result of Worker.runReplayHistories(options, histories)) if (result.error) throw result.error;
    };
    await replay(20); // warm-up: the workflow thread, the bundle's first run, V8's compilers
    const cpu: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const before = process.cpuUsage();
      await replay(replays);
      const used = process.cpuUsage(before);
      cpu.push((used.user + used.system) / 1000 / replays);
    }
    console.log(`${name}: ${cpu.map((ms) => ms.toFixed(1)).join(', ')} ms of CPU per order (${ROUNDS} rounds of ${replays} replays)`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
